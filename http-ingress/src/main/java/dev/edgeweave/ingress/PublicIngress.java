package dev.edgeweave.ingress;

import com.google.protobuf.ByteString;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.RouteMatch;
import dev.edgeweave.sharding.AppLimits;
import dev.edgeweave.sharding.FunctionCatalog;
import dev.edgeweave.sharding.FunctionEntity;
import dev.edgeweave.sharding.proto.Failure;
import dev.edgeweave.sharding.proto.HttpHeader;
import dev.edgeweave.sharding.proto.InvocationRequest;
import dev.edgeweave.sharding.proto.InvocationResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.PromiseRef;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.FutureConverters;

/**
 * The public request path: health check, app by host or path prefix, request limits (431, 413), the
 * app's routes, then the app's entity through sharding. Every response carries a request id (header
 * {@value #REQUEST_ID_HEADER}). Every refusal and failure is a short text body saying what kind it
 * was, with the request id; what only the app's owner may read (a guest's stderr, exception
 * messages) goes to this node's log under that id.
 */
public final class PublicIngress implements Function<HttpRequest, CompletionStage<HttpResponse>> {

  static final String HEALTH_PATH = "/.well-known/spin/health";

  /** The response header naming the request, as the node's log does. */
  public static final String REQUEST_ID_HEADER = "x-request-id";

  /** The response header naming the location that answered, when not this node's. */
  public static final String FORWARDED_TO_HEADER = "x-weave-forwarded-to";

  /** Methods RFC 9110 calls safe: running such a request twice changes nothing it asks for. */
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

  private static final Logger log = LoggerFactory.getLogger(PublicIngress.class);

  /**
   * Runs continuations on the thread that completed the stage. Pekko's CompletionStages run plain
   * {@code thenApply}/{@code thenCompose} asynchronously on the JDK's default executor, which on a
   * machine with two cores starts a new thread per task.
   */
  static final Executor SAME_THREAD = Runnable::run;

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Cluster cluster;
  private final FunctionCatalog catalog;
  private final IngressSettings settings;
  private final AppResolver resolver;
  private final Materializer materializer;
  private final ActorRef<FunctionEntity.Command> localRunner;
  private final ClusterReleases releases;
  private final RoutingSettings routing;
  private final Set<String> proxies = ConcurrentHashMap.newKeySet();

  /** An ingress that runs requests through sharding in this location only. */
  public PublicIngress(ActorSystem<?> system, FunctionCatalog catalog, IngressSettings settings) {
    this(system, catalog, settings, null, ClusterReleases.NONE, null);
  }

  /**
   * An ingress that picks where each request runs ({@link Placement}): this location's entity,
   * {@code localRunner} (this node's own {@link FunctionEntity#local}), or another location.
   */
  public PublicIngress(
      ActorSystem<?> system,
      FunctionCatalog catalog,
      IngressSettings settings,
      ActorRef<FunctionEntity.Command> localRunner,
      ClusterReleases releases,
      RoutingSettings routing) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.cluster = Cluster.get(system);
    this.catalog = catalog;
    this.settings = settings;
    this.localRunner = localRunner;
    this.releases = releases;
    this.routing =
        routing != null ? routing : RoutingSettings.fromConfig(system.settings().config());
    this.resolver =
        new AppResolver(
            settings.domains(),
            name -> catalog.appAddressed(name).or(() -> releases.current(name)));
    this.materializer = Materializer.matFromSystem(system);
  }

  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest request) {
    String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    RawHeader idHeader = RawHeader.create(REQUEST_ID_HEADER, id);
    return serve(request, id).thenApplyAsync(r -> r.addHeader(idHeader), SAME_THREAD);
  }

  private CompletionStage<HttpResponse> serve(HttpRequest request, String id) {
    String path = request.getUri().path();
    if (path.equals(HEALTH_PATH)) {
      return done(text(StatusCodes.OK, "OK"));
    }
    String host = request.getHeader("Host").map(h -> h.value()).orElse("");
    Optional<AppResolver.Resolved> resolved = resolver.resolve(host, path);
    if (resolved.isEmpty()) {
      return done(refusal(StatusCodes.NOT_FOUND, "no app is deployed at " + host + path, id));
    }
    DeployedApp app = resolved.get().app();
    AppLimits limits = catalog.limitsFor(app.name());
    long headerBytes = 0;
    for (org.apache.pekko.http.javadsl.model.HttpHeader h : request.getHeaders()) {
      headerBytes += h.name().length() + h.value().length();
    }
    if (headerBytes > limits.maxHeaderBytes()) {
      return done(
          refusal(
              StatusCodes.REQUEST_HEADER_FIELDS_TOO_LARGE,
              "request headers are "
                  + headerBytes
                  + " bytes; app '"
                  + app.name()
                  + "' accepts at most "
                  + limits.maxHeaderBytes(),
              id));
    }
    Optional<RouteMatch> match = app.routes().match(resolved.get().pathInApp());
    if (match.isEmpty()) {
      return done(
          refusal(
              StatusCodes.NOT_FOUND,
              "app '" + app.name() + "' has no route for " + resolved.get().pathInApp(),
              id));
    }
    Routed routed = new Routed(app, limits, resolved.get(), match.get(), request, host, id);
    CompletionStage<HttpResponse> response;
    if (request.entity() instanceof HttpEntity.Strict strict) {
      // Most requests arrive whole: no stream to run, no stage to hop through.
      if (strict.getData().size() > limits.maxBodyBytes()) {
        return done(tooLarge(routed));
      }
      response = invoke(routed, strict.getData());
    } else {
      response =
          RequestBodies.read(
                  request, limits.maxBodyBytes(), settings.bodyReadTimeout(), materializer)
              .thenComposeAsync(body -> answer(routed, body), SAME_THREAD);
    }
    return response.handleAsync(
        (ok, error) -> ok != null ? ok : failed(error, routed), SAME_THREAD);
  }

  /** Invokes the app with the body read, or says why the body was refused. */
  private CompletionStage<HttpResponse> answer(Routed routed, RequestBodies.Outcome body) {
    if (body instanceof RequestBodies.Read read) {
      return invoke(routed, read.body());
    }
    HttpResponse refusal;
    if (body instanceof RequestBodies.TooLarge tooLarge) {
      refusal = tooLarge(routed);
      if (!tooLarge.drained()) {
        refusal = refusal.addHeader(RequestBodies.CLOSE);
      }
    } else if (body instanceof RequestBodies.TimedOut) {
      refusal =
          refusal(
                  StatusCodes.REQUEST_TIMEOUT,
                  "request body did not arrive within "
                      + settings.bodyReadTimeout().toMillis()
                      + " ms",
                  routed.requestId())
              .addHeader(RequestBodies.CLOSE);
    } else {
      refusal =
          refusal(StatusCodes.BAD_REQUEST, "request body could not be read", routed.requestId())
              .addHeader(RequestBodies.CLOSE);
    }
    return done(refusal);
  }

  /** A request matched to an app and one of its routes. */
  private record Routed(
      DeployedApp app,
      AppLimits limits,
      AppResolver.Resolved resolved,
      RouteMatch match,
      HttpRequest request,
      String host,
      String requestId) {}

  /**
   * Runs the request where {@link Placement} says, trying the next place only when the previous one
   * provably did not run it; a failure to even send the request becomes a failed stage.
   */
  private CompletionStage<HttpResponse> invoke(
      Routed routed, org.apache.pekko.util.ByteString body) {
    try {
      Duration timeout = catalog.settings().askTimeout(routed.limits());
      // The entity's scheduler drops the request unrun once this ask has given up on it.
      long deadline = System.nanoTime() + timeout.toNanos();
      InvocationRequest invocation =
          toInvocation(routed, ByteString.copyFrom(body.asByteBuffer())).toBuilder()
              .setDeadlineEpochMillis(System.currentTimeMillis() + timeout.toMillis())
              .build();
      List<Placement.Target> plan = plan(routed.app());
      if (plan.isEmpty()) {
        return done(
            failure(
                    routed,
                    StatusCodes.SERVICE_UNAVAILABLE,
                    "is not ready in any location yet; retry later",
                    "NOT_READY",
                    "no member serves release " + routed.app().digest())
                .addHeader(RetryAfter.create(1L)));
      }
      return attempt(routed, invocation, plan, 0, deadline);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Where a request for this release may run, best first. */
  private List<Placement.Target> plan(DeployedApp app) {
    boolean servesHere = catalog.holds(app.name(), app.digest());
    if (localRunner == null) {
      // Sharding in this location only, as a node without a runner of its own.
      return List.of(new Placement.InLocation(cluster.selfMember().dataCenter(), false));
    }
    var state = cluster.state();
    Set<org.apache.pekko.cluster.Member> unreachable = state.getUnreachable();
    List<Placement.Member> members = new ArrayList<>();
    for (org.apache.pekko.cluster.Member m : state.getMembers()) {
      members.add(
          new Placement.Member(
              m.address().toString(),
              m.dataCenter(),
              m.status().equals(MemberStatus.up()),
              !unreachable.contains(m)));
    }
    return Placement.plan(
        cluster.selfMember().address().toString(),
        cluster.selfMember().dataCenter(),
        servesHere,
        app.digest(),
        members,
        state.getUnreachableDataCenters(),
        releases.servedBy(app.name()));
  }

  private CompletionStage<HttpResponse> attempt(
      Routed routed,
      InvocationRequest invocation,
      List<Placement.Target> plan,
      int index,
      long deadline) {
    Duration left = Duration.ofNanos(deadline - System.nanoTime());
    if (left.isNegative() || left.isZero()) {
      return CompletableFuture.failedFuture(new TimeoutException("deadline passed before sending"));
    }
    Placement.Target target = plan.get(index);
    boolean last = index == plan.size() - 1;
    CompletionStage<FunctionEntity.Reply> reply;
    CompletionStage<Object> ack = null;
    if (target instanceof Placement.InLocation in) {
      EntityRef<FunctionEntity.Command> entity = entity(routed.app().name(), in.location());
      if (!last && SAFE_METHODS.contains(invocation.getMethod())) {
        // Told apart from a slow guest by the entity's acknowledgement: a safe request that no
        // entity acknowledged in time runs at the next place (its node may be dead).
        var classic = Adapter.toClassic(system);
        PromiseRef<Object> replyRef = PromiseRef.apply(classic, Timeout.create(left));
        PromiseRef<Object> ackRef = PromiseRef.apply(classic, Timeout.create(routing.ackTimeout()));
        entity.tell(
            new FunctionEntity.Invoke(
                invocation,
                Adapter.<FunctionEntity.Reply>toTyped(replyRef.ref()),
                Adapter.<FunctionEntity.Accepted>toTyped(ackRef.ref())));
        reply =
            FutureConverters.asJava(replyRef.future())
                .thenApplyAsync(r -> (FunctionEntity.Reply) r, SAME_THREAD);
        ack = FutureConverters.asJava(ackRef.future());
      } else {
        reply =
            entity.<FunctionEntity.Reply>ask(
                replyTo -> new FunctionEntity.Invoke(invocation, replyTo), left);
      }
    } else {
      reply =
          AskPattern.ask(
              localRunner,
              replyTo -> new FunctionEntity.Invoke(invocation, replyTo),
              left,
              system.scheduler());
    }
    CompletionStage<HttpResponse> answered =
        reply.thenComposeAsync(
            r -> {
              if (!last && r.response().getFailure().getKind() == Failure.Kind.UNKNOWN_APP) {
                // That node does not hold the release: the guest never ran, try the next place.
                log.debug(
                    "request {} to app '{}': {} does not hold release {}; trying {}",
                    routed.requestId(),
                    routed.app().name(),
                    target,
                    invocation.getAppDigest(),
                    plan.get(index + 1));
                return attempt(routed, invocation, plan, index + 1, deadline);
              }
              HttpResponse http = toHttp(routed, r.response());
              if (target instanceof Placement.InLocation in && in.forwarded()) {
                http = http.addHeader(RawHeader.create(FORWARDED_TO_HEADER, in.location()));
              }
              return done(http);
            },
            SAME_THREAD);
    if (ack == null) {
      return answered;
    }
    CompletionStage<HttpResponse> awaited = answered;
    return ack.handleAsync(
            (accepted, error) -> {
              if (error == null || reply.toCompletableFuture().isDone()) {
                return awaited;
              }
              log.info(
                  "request {} to app '{}': not acknowledged by {} within {} ms; trying {}",
                  routed.requestId(),
                  routed.app().name(),
                  target,
                  routing.ackTimeout().toMillis(),
                  plan.get(index + 1));
              return attempt(routed, invocation, plan, index + 1, deadline);
            },
            SAME_THREAD)
        .thenComposeAsync(stage -> stage, SAME_THREAD);
  }

  /** The app's entity in a location: this one's region, or a proxy to another's. */
  private EntityRef<FunctionEntity.Command> entity(String app, String location) {
    int slot = ThreadLocalRandom.current().nextInt(catalog.settings().slotsPerApp());
    String id = FunctionEntity.entityId(app, slot);
    if (location.equals(cluster.selfMember().dataCenter())) {
      return sharding.entityRefFor(FunctionEntity.TYPE_KEY, id);
    }
    if (proxies.add(location)) {
      FunctionEntity.initProxy(system, location);
    }
    return sharding.entityRefFor(FunctionEntity.TYPE_KEY, id, location);
  }

  private InvocationRequest toInvocation(Routed routed, ByteString body) {
    DeployedApp app = routed.app();
    RouteMatch match = routed.match();
    HttpRequest request = routed.request();
    String host = routed.host();
    var uri = request.getUri();
    String query = uri.rawQueryString().orElse("");
    String base = routed.resolved().basePath();
    InvocationRequest.Builder b =
        InvocationRequest.newBuilder()
            .setApp(app.name())
            .setAppDigest(app.digest())
            .setComponent(match.trigger().componentId())
            .setTriggerIndex(app.manifest().triggers().lastIndexOf(match.trigger()))
            .setMethod(request.method().value())
            .setFullUrl("http://" + host + uri.path() + (query.isEmpty() ? "" : "?" + query))
            .setPath(uri.path())
            .setQuery(query)
            .setBody(body)
            .setClientAddr(clientAddr(request))
            .setServerName(AppResolver.stripPort(host))
            .setServerPort(serverPort(host))
            .setRoute(
                dev.edgeweave.sharding.proto.RouteMatch.newBuilder()
                    .setMatchedRoute(under(base, match.matchedRoute()))
                    .setComponentRoute(under(base, match.componentRoute()))
                    .setRawComponentRoute(under(base, match.rawComponentRoute()))
                    .setBasePath(under(base, match.basePath()))
                    .setPathInfo(match.pathInfo())
                    .setRawPathInfo(match.rawPathInfo())
                    .putAllPathParams(match.pathParams()));
    for (org.apache.pekko.http.javadsl.model.HttpHeader h : request.getHeaders()) {
      // Pekko's own synthetic header (request-timeout control), never sent by the client.
      if (!h.lowercaseName().equals("timeout-access")) {
        b.addHeaders(HttpHeader.newBuilder().setName(h.name()).setValue(h.value()));
      }
    }
    // Pekko HTTP keeps these two out of the header list; the guest sees them as CGI variables.
    if (!body.isEmpty() || request.entity().getContentLengthOption().isPresent()) {
      b.addHeaders(
          HttpHeader.newBuilder()
              .setName("Content-Length")
              .setValue(Integer.toString(body.size())));
    }
    if (!request.entity().getContentType().equals(ContentTypes.NO_CONTENT_TYPE)) {
      b.addHeaders(
          HttpHeader.newBuilder()
              .setName("Content-Type")
              .setValue(request.entity().getContentType().toString()));
    }
    return b.build();
  }

  /** The port the client addressed (from Host), else the one this ingress is configured on. */
  private int serverPort(String host) {
    String name = AppResolver.stripPort(host);
    if (host.length() > name.length() + 1) {
      try {
        return Integer.parseInt(host.substring(name.length() + 1));
      } catch (NumberFormatException e) {
        // A malformed Host port is the client's problem; fall back to ours.
      }
    }
    return settings.port();
  }

  /** A path of the app, seen from outside when the app sits under a path prefix. */
  private static String under(String base, String path) {
    if (base.equals("/")) {
      return path;
    }
    return path.equals("/") ? base : base + path;
  }

  private static String clientAddr(HttpRequest request) {
    return request
        .getAttribute(org.apache.pekko.http.javadsl.model.AttributeKeys.remoteAddress)
        .flatMap(a -> a.getAddress().map(inet -> inet.getHostAddress()))
        .orElse("");
  }

  private HttpResponse toHttp(Routed routed, InvocationResponse response) {
    if (response.hasFailure()) {
      Failure failure = response.getFailure();
      HttpResponse http =
          failure(
              routed,
              status(response.getStatus()),
              kind(failure.getKind()),
              failure.getKind().name(),
              failure.getMessage());
      if (failure.getRetryAfterSeconds() > 0) {
        http = http.addHeader(RetryAfter.create((long) failure.getRetryAfterSeconds()));
      }
      return http;
    }
    ContentType contentType = ContentTypes.APPLICATION_OCTET_STREAM;
    List<org.apache.pekko.http.javadsl.model.HttpHeader> headers = new ArrayList<>();
    for (HttpHeader h : response.getHeadersList()) {
      String name = h.getName();
      if (name.equalsIgnoreCase("Content-Type")) {
        try {
          contentType = ContentTypes.parse(h.getValue());
        } catch (RuntimeException e) {
          return failure(
              routed,
              StatusCodes.INTERNAL_SERVER_ERROR,
              kind(Failure.Kind.BAD_RESPONSE),
              Failure.Kind.BAD_RESPONSE.name(),
              "the guest sent an unparseable Content-Type: " + h.getValue());
        }
      } else if (!name.equalsIgnoreCase("Content-Length")
          && !name.equalsIgnoreCase("Transfer-Encoding")
          && !name.equalsIgnoreCase("Status")) {
        headers.add(RawHeader.create(name, h.getValue()));
      }
    }
    return HttpResponse.create()
        .withStatus(status(response.getStatus()))
        .withEntity(HttpEntities.create(contentType, response.getBody().toByteArray()))
        .addHeaders(headers);
  }

  private HttpResponse failed(Throwable error, Routed routed) {
    Throwable cause = error instanceof CompletionException ? error.getCause() : error;
    if (cause instanceof TimeoutException) {
      return failure(
          routed,
          StatusCodes.GATEWAY_TIMEOUT,
          "did not answer in time",
          "ASK_TIMEOUT",
          "no reply within "
              + catalog.settings().askTimeout(routed.limits()).toMillis()
              + " ms: "
              + cause.getMessage());
    }
    log.warn(
        "request {} to app '{}' failed (INTERNAL, 500)",
        routed.requestId(),
        routed.app().name(),
        cause);
    return failureBody(
        routed, StatusCodes.INTERNAL_SERVER_ERROR, kind(Failure.Kind.INTERNAL), cause.toString());
  }

  /** What the client is told about a kind of failure; never its details. */
  private static String kind(Failure.Kind kind) {
    return switch (kind) {
      case TIMEOUT -> "exceeded its time limit";
      case MEMORY_LIMIT -> "exceeded its memory limit";
      case OUTPUT_LIMIT -> "exceeded its output limit";
      case TRAP -> "trapped";
      case BAD_RESPONSE -> "sent an invalid response";
      case EXIT -> "exited with a non-zero exit code";
      case OVERLOADED -> "is at its concurrency limit; retry later";
      case UNKNOWN_APP -> "is not deployed on this node";
      case UNKNOWN_COMPONENT -> "has no such component";
      default -> "failed with an internal error";
    };
  }

  /**
   * A failure: logged with its details under the request id (an app at its concurrency limit only
   * at debug, since it comes in floods), answered with its kind.
   */
  private HttpResponse failure(
      Routed routed, StatusCode status, String kind, String label, String detail) {
    if (label.equals(Failure.Kind.OVERLOADED.name())) {
      log.debug(
          "request {} to app '{}' refused ({}, {}): {}",
          routed.requestId(),
          routed.app().name(),
          label,
          status.intValue(),
          detail);
    } else {
      log.warn(
          "request {} to app '{}' failed ({}, {}): {}",
          routed.requestId(),
          routed.app().name(),
          label,
          status.intValue(),
          detail);
    }
    return failureBody(routed, status, kind, detail);
  }

  private HttpResponse failureBody(Routed routed, StatusCode status, String kind, String detail) {
    String body =
        "app '" + routed.app().name() + "' " + kind + "\nrequest id: " + routed.requestId();
    if (settings.exposeErrorDetails()) {
      body += "\ndetail: " + detail;
    }
    return text(status, body);
  }

  private static HttpResponse tooLarge(Routed routed) {
    return refusal(
        StatusCodes.CONTENT_TOO_LARGE,
        "request body exceeds the "
            + routed.limits().maxBodyBytes()
            + " bytes app '"
            + routed.app().name()
            + "' accepts",
        routed.requestId());
  }

  /** A request refused for what the client sent: why, and the request id. */
  private static HttpResponse refusal(StatusCode status, String message, String id) {
    return text(status, message + "\nrequest id: " + id);
  }

  private static StatusCode status(int code) {
    return StatusCodes.lookup(code).orElseGet(() -> StatusCodes.custom(code, "Status " + code, ""));
  }

  static HttpResponse text(StatusCode status, String message) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(
            HttpEntities.create(
                ContentTypes.TEXT_PLAIN_UTF8, (message + "\n").getBytes(StandardCharsets.UTF_8)));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
