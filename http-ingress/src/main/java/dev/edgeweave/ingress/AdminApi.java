package dev.edgeweave.ingress;

import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.BundleException;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.HttpTrigger;
import dev.edgeweave.deploy.spread.Readiness;
import dev.edgeweave.deploy.spread.ReleaseLog;
import dev.edgeweave.deploy.spread.Rollback;
import dev.edgeweave.sharding.FunctionCatalog;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;

/**
 * The admin API, on its own port and behind a bearer token:
 *
 * <pre>
 * POST   /v1/apps          body: the app bundle (zip)   201 + the app, 400 + why
 * GET    /v1/apps          the deployed apps, each with its readiness over the cluster
 * GET    /v1/apps/{name}   one app, with its readiness and which member serves which release
 * DELETE /v1/apps/{name}   204, or 404
 * POST   /v1/apps/{name}/rollback   200 + the app back on its previous release, 404, 409 + why
 * GET    /v1/status        this node: apps, cluster members as it sees them, entities it runs
 * /v1/apps/{name}/kv/...   an app's key-value stores ({@link KvAdminRoutes})
 * </pre>
 *
 * <p>A node may add routes of its own ({@link Extra}), behind the same token.
 */
public final class AdminApi implements Function<HttpRequest, CompletionStage<HttpResponse>> {

  private static final String APPS = "/v1/apps";
  private static final String ROLLBACK = "/rollback";

  private final ActorSystem<?> system;
  private final FunctionCatalog catalog;
  private final AdminSettings settings;
  private final Materializer materializer;
  private final Executor blocking;
  private final byte[] expectedAuthorization;
  private final KvAdminRoutes kv;
  private final ReleaseLog releaseLog;
  private final Extra extra;

  /** Routes a node adds to the admin API; asked first, after the token is checked. */
  public interface Extra {
    /** Whether this request is one of these routes. */
    boolean handles(HttpRequest request);

    CompletionStage<HttpResponse> apply(HttpRequest request);
  }

  private static final Extra NO_EXTRA =
      new Extra() {
        @Override
        public boolean handles(HttpRequest request) {
          return false;
        }

        @Override
        public CompletionStage<HttpResponse> apply(HttpRequest request) {
          throw new IllegalStateException("no extra admin routes");
        }
      };

  public AdminApi(ActorSystem<?> system, FunctionCatalog catalog, AdminSettings settings) {
    this(system, catalog, settings, ReleaseLog.none());
  }

  /** An admin API that tells {@code releaseLog} of each deploy and removal it makes. */
  public AdminApi(
      ActorSystem<?> system,
      FunctionCatalog catalog,
      AdminSettings settings,
      ReleaseLog releaseLog) {
    this(system, catalog, settings, releaseLog, NO_EXTRA);
  }

  /** An admin API that also serves {@code extra}'s routes. */
  public AdminApi(
      ActorSystem<?> system,
      FunctionCatalog catalog,
      AdminSettings settings,
      ReleaseLog releaseLog,
      Extra extra) {
    this.extra = java.util.Objects.requireNonNull(extra, "extra");
    this.releaseLog = java.util.Objects.requireNonNull(releaseLog, "releaseLog");
    this.system = system;
    this.catalog = catalog;
    this.settings = settings;
    this.materializer = Materializer.matFromSystem(system);
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.expectedAuthorization = ("Bearer " + settings.token()).getBytes(StandardCharsets.UTF_8);
    this.kv = new KvAdminRoutes(system, catalog, materializer);
  }

  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest request) {
    String given = request.getHeader("Authorization").map(h -> h.value()).orElse("");
    if (!MessageDigest.isEqual(expectedAuthorization, given.getBytes(StandardCharsets.UTF_8))) {
      request.discardEntityBytes(materializer);
      return done(
          PublicIngress.text(StatusCodes.UNAUTHORIZED, "missing or wrong bearer token")
              .addHeader(
                  org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
                      "WWW-Authenticate", "Bearer")));
    }
    String path = request.getUri().path();
    var method = request.method();
    if (extra.handles(request)) {
      return extra.apply(request);
    }
    if (KvAdminRoutes.handles(request)) {
      return kv.apply(request);
    }
    if (path.equals(APPS) && method.equals(HttpMethods.POST)) {
      return deploy(request);
    }
    request.discardEntityBytes(materializer);
    if (path.startsWith(APPS + "/")
        && path.endsWith(ROLLBACK)
        && path.length() > APPS.length() + 1 + ROLLBACK.length()
        && method.equals(HttpMethods.POST)) {
      return rollback(
          path.substring(APPS.length() + 1, path.length() - ROLLBACK.length()), wantsText(request));
    }
    boolean text = wantsText(request);
    if (path.equals(APPS) && method.equals(HttpMethods.GET)) {
      if (text) {
        StringBuilder out = new StringBuilder();
        for (DeployedApp app : catalog.apps()) {
          out.append(
              String.format(
                  "%-24s %s  %s%n",
                  app.name(),
                  app.digest().substring(0, 12),
                  releaseLog
                      .readiness(app.name(), app.digest())
                      .map(Readiness::summary)
                      .orElse("served here")));
        }
        return done(PublicIngress.text(StatusCodes.OK, out.toString().stripTrailing()));
      }
      List<Object> apps = new ArrayList<>();
      for (DeployedApp app : catalog.apps()) {
        Map<String, Object> described = describe(app);
        addReadiness(described, app);
        apps.add(described);
      }
      return done(json(StatusCodes.OK, Map.of("apps", apps)));
    }
    if (path.startsWith(APPS + "/")) {
      String name = path.substring(APPS.length() + 1);
      if (method.equals(HttpMethods.GET)) {
        return done(
            catalog
                .app(name)
                .map(
                    app -> {
                      if (text) {
                        return PublicIngress.text(
                            StatusCodes.OK, describeText(app).stripTrailing());
                      }
                      Map<String, Object> described = describe(app);
                      addReadiness(described, app);
                      // Which members serve which release: "ready" once it equals this digest.
                      described.put("rollout", releaseLog.rollout(app.name()));
                      return json(StatusCodes.OK, described);
                    })
                .orElseGet(
                    () ->
                        PublicIngress.text(StatusCodes.NOT_FOUND, "no app named '" + name + "'")));
      }
      if (method.equals(HttpMethods.DELETE)) {
        return CompletableFuture.supplyAsync(() -> remove(name), blocking);
      }
    }
    if (path.equals("/v1/status") && method.equals(HttpMethods.GET)) {
      return NodeStatus.describe(system, catalog, releaseLog, settings.statusTimeout())
          .thenApplyAsync(status -> json(StatusCodes.OK, status), PublicIngress.SAME_THREAD)
          .exceptionallyAsync(
              error ->
                  PublicIngress.text(
                      StatusCodes.SERVICE_UNAVAILABLE,
                      "the node's shards did not report in time: " + error.getMessage()),
              PublicIngress.SAME_THREAD);
    }
    return done(
        PublicIngress.text(
            StatusCodes.NOT_FOUND, "no admin endpoint " + method.value() + " " + path));
  }

  private CompletionStage<HttpResponse> deploy(HttpRequest request) {
    return RequestBodies.read(
            request, settings.maxBundleBytes(), settings.deployTimeout(), materializer)
        .thenApplyAsync(
            body -> {
              if (body instanceof RequestBodies.Read read) {
                return deploy(read.body().toArray());
              }
              if (body instanceof RequestBodies.TooLarge tooLarge) {
                HttpResponse refusal =
                    PublicIngress.text(
                        StatusCodes.CONTENT_TOO_LARGE,
                        "bundle exceeds " + settings.maxBundleBytes() + " bytes");
                return tooLarge.drained() ? refusal : refusal.addHeader(RequestBodies.CLOSE);
              }
              if (body instanceof RequestBodies.TimedOut) {
                return PublicIngress.text(
                        StatusCodes.REQUEST_TIMEOUT,
                        "bundle did not arrive within "
                            + settings.deployTimeout().toMillis()
                            + " ms")
                    .addHeader(RequestBodies.CLOSE);
              }
              return PublicIngress.text(StatusCodes.BAD_REQUEST, "bundle could not be read")
                  .addHeader(RequestBodies.CLOSE);
            },
            blocking)
        .exceptionallyAsync(
            error -> {
              Throwable cause = error.getCause() != null ? error.getCause() : error;
              return PublicIngress.text(
                  StatusCodes.INTERNAL_SERVER_ERROR, "deploy failed: " + cause.getMessage());
            },
            PublicIngress.SAME_THREAD);
  }

  private HttpResponse deploy(byte[] zip) {
    try {
      AppBundle bundle = AppBundle.fromZip(zip, catalog.settings().bundleLimits());
      DeployedApp app = catalog.deploy(bundle);
      releaseLog.deployed(app);
      return json(StatusCodes.CREATED, describe(app));
    } catch (BundleException | FunctionCatalog.DeployException e) {
      return PublicIngress.text(StatusCodes.BAD_REQUEST, "deploy refused: " + e.getMessage());
    }
  }

  private CompletionStage<HttpResponse> rollback(String name, boolean text) {
    return releaseLog
        .rollback(name)
        .toCompletableFuture()
        .orTimeout(settings.deployTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(
            outcome -> {
              if (outcome instanceof Rollback.RolledBack back && text) {
                return PublicIngress.text(
                    StatusCodes.OK,
                    "rolled back from release "
                        + back.from()
                        + "; the other nodes follow\n"
                        + describeText(back.app()).stripTrailing());
              }
              if (outcome instanceof Rollback.RolledBack back) {
                Map<String, Object> described = describe(back.app());
                described.put("rolledBackFrom", back.from());
                return json(StatusCodes.OK, described);
              }
              if (outcome instanceof Rollback.NoSuchApp) {
                return PublicIngress.text(StatusCodes.NOT_FOUND, "no app named '" + name + "'");
              }
              if (outcome instanceof Rollback.NothingToRollBack nothing) {
                return PublicIngress.text(
                    StatusCodes.CONFLICT, "nothing to roll back: " + nothing.reason());
              }
              return PublicIngress.text(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  "rollback failed: " + ((Rollback.Failed) outcome).reason());
            })
        .exceptionally(
            error ->
                PublicIngress.text(
                    StatusCodes.SERVICE_UNAVAILABLE,
                    "rollback of '"
                        + name
                        + "' did not finish within "
                        + settings.deployTimeout().toMillis()
                        + " ms: "
                        + error));
  }

  /** A client asking for text/plain (the CLI) gets lines for people, not JSON. */
  private static boolean wantsText(HttpRequest request) {
    return request
        .getHeader("Accept")
        .map(h -> h.value().contains("text/plain") && !h.value().contains("application/json"))
        .orElse(false);
  }

  private String describeText(DeployedApp app) {
    StringBuilder out = new StringBuilder();
    out.append("app ")
        .append(app.name())
        .append(app.manifest().version().isEmpty() ? "" : " " + app.manifest().version())
        .append(", release ")
        .append(app.digest())
        .append(", deployed here ")
        .append(app.deployedAt())
        .append('\n');
    for (HttpTrigger t : app.manifest().triggers()) {
      out.append("  route ").append(t.route()).append(" -> ").append(t.componentId()).append('\n');
    }
    releaseLog
        .readiness(app.name(), app.digest())
        .ifPresent(
            r -> {
              out.append(r.summary()).append(" (release ").append(r.release()).append(")\n");
              for (Readiness.Member m : r.members()) {
                out.append(
                    String.format(
                        "  %-10s %-40s %s%n",
                        m.location(),
                        m.address(),
                        m.serving().equals(r.release())
                            ? "ready"
                            : m.serving().isEmpty()
                                ? "not serving it yet"
                                : "serves release " + m.serving().substring(0, 12)));
              }
            });
    for (String warning : app.routes().warnings()) {
      out.append("warning: ").append(warning).append('\n');
    }
    return out.toString();
  }

  /** How far the app's release has spread: "ready on 3/4 nodes, 2/2 locations". */
  private void addReadiness(Map<String, Object> described, DeployedApp app) {
    releaseLog
        .readiness(app.name(), app.digest())
        .ifPresent(r -> described.put("readiness", readiness(r)));
  }

  private static Map<String, Object> readiness(Readiness r) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("release", r.release());
    out.put("readyNodes", r.readyNodes());
    out.put("nodes", r.nodes());
    out.put("readyLocations", r.readyLocations());
    out.put("locations", r.locations());
    out.put("summary", r.summary());
    List<Object> members = new ArrayList<>();
    for (Readiness.Member m : r.members()) {
      Map<String, Object> member = new LinkedHashMap<>();
      member.put("address", m.address());
      member.put("location", m.location());
      member.put("serving", m.serving());
      member.put("ready", m.serving().equals(r.release()));
      members.add(member);
    }
    out.put("members", members);
    return out;
  }

  private HttpResponse remove(String name) {
    try {
      if (catalog.remove(name)) {
        releaseLog.removed(name);
        return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
      }
      return PublicIngress.text(StatusCodes.NOT_FOUND, "no app named '" + name + "'");
    } catch (java.io.IOException e) {
      return PublicIngress.text(
          StatusCodes.INTERNAL_SERVER_ERROR, "could not remove '" + name + "': " + e.getMessage());
    }
  }

  static Map<String, Object> describe(DeployedApp app) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", app.name());
    out.put("digest", app.digest());
    out.put("version", app.manifest().version());
    out.put("deployedAt", app.deployedAt().toString());
    List<Object> routes = new ArrayList<>();
    for (HttpTrigger t : app.manifest().triggers()) {
      Map<String, Object> route = new LinkedHashMap<>();
      route.put("route", t.route());
      route.put("component", t.componentId());
      routes.add(route);
    }
    out.put("routes", routes);
    List<Object> components = new ArrayList<>();
    app.components()
        .values()
        .forEach(
            c -> {
              Map<String, Object> component = new LinkedHashMap<>();
              component.put("id", c.id());
              component.put("module", c.moduleDigest());
              components.add(component);
            });
    out.put("components", components);
    out.put("warnings", app.routes().warnings());
    return out;
  }

  private static HttpResponse json(StatusCode status, Object body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(
            HttpEntities.create(
                ContentTypes.APPLICATION_JSON, Json.write(body).getBytes(StandardCharsets.UTF_8)));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
