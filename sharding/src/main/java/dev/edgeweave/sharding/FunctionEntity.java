package dev.edgeweave.sharding;

import com.google.protobuf.ByteString;
import dev.edgeweave.serialization.KryoSerializable;
import dev.edgeweave.sharding.proto.Failure;
import dev.edgeweave.sharding.proto.HttpHeader;
import dev.edgeweave.sharding.proto.InvocationRequest;
import dev.edgeweave.sharding.proto.InvocationResponse;
import dev.edgeweave.wasmhost.GuestException;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.GuestResponse;
import dev.edgeweave.wasmhost.Header;
import dev.edgeweave.wasmhost.NodeIdentity;
import dev.edgeweave.wasmhost.RouteInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * One app (or one slot of a hot app) in this location. Hands each invocation, with its deadline, to
 * the node's {@link GuestScheduler}, which runs it on a fresh Wasm instance when the app's turn
 * comes, or refuses it when the app's queue is full or the deadline cannot be met.
 */
public final class FunctionEntity extends AbstractBehavior<FunctionEntity.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "function");

  /** Messages the entity understands. */
  public sealed interface Command extends KryoSerializable permits Invoke {}

  /**
   * Run one request; the reply carries the guest's response or the platform's failure. When {@code
   * ackTo} is set, the entity tells it {@link Accepted} as soon as the request reaches it, before
   * the guest runs: a caller that hears nothing knows the request may never have arrived.
   */
  public record Invoke(InvocationRequest request, ActorRef<Reply> replyTo, ActorRef<Accepted> ackTo)
      implements Command {

    /** An invocation whose caller does not wait for {@link Accepted}. */
    public Invoke(InvocationRequest request, ActorRef<Reply> replyTo) {
      this(request, replyTo, null);
    }
  }

  /** The answer to an {@link Invoke}. */
  public record Reply(InvocationResponse response) implements KryoSerializable {}

  /** An {@link Invoke} reached its entity (the guest may or may not have run yet). */
  public record Accepted() implements KryoSerializable {}

  /** Entity id of one slot of an app; apps are sharded by name. */
  public static String entityId(String app, int slot) {
    return app + "#" + slot;
  }

  /** Starts sharding of function entities in this node's location; guests run on scheduler. */
  public static ActorRef<org.apache.pekko.cluster.sharding.typed.ShardingEnvelope<Command>> init(
      ActorSystem<?> system, FunctionCatalog catalog, GuestScheduler scheduler) {
    return ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create(catalog, scheduler)));
  }

  /**
   * Makes sure this node can send to the function entities of another location: sharding there is
   * reached through a proxy region, started here on first use.
   */
  public static void initProxy(ActorSystem<?> system, String location) {
    if (!location.equals(Cluster.get(system).selfMember().dataCenter())) {
      // Idempotent: sharding keeps one proxy per type and location.
      ClusterSharding.get(system)
          .init(Entity.of(TYPE_KEY, ctx -> Behaviors.<Command>empty()).withDataCenter(location));
    }
  }

  /**
   * The same behaviour outside sharding: this node's own runner, for requests that must run here
   * whatever sharding would choose (see the ingress's routing).
   */
  public static Behavior<Command> local(FunctionCatalog catalog, GuestScheduler scheduler) {
    return create(catalog, scheduler);
  }

  static Behavior<Command> create(FunctionCatalog catalog, GuestScheduler scheduler) {
    return Behaviors.setup(ctx -> new FunctionEntity(ctx, catalog, scheduler));
  }

  /**
   * This node's location and name: its cluster data center, and {@code edgeweave.node.name} or else
   * its cluster address without the system name ({@code host:port}).
   */
  public static NodeIdentity identity(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    String name = system.settings().config().getString("edgeweave.node.name");
    if (name.isEmpty()) {
      var address = cluster.selfMember().address();
      name = address.getHost().orElse("") + ":" + address.getPort().map(String::valueOf).orElse("");
    }
    return new NodeIdentity(cluster.selfMember().dataCenter(), name);
  }

  private final FunctionCatalog catalog;
  private final GuestScheduler scheduler;
  private final NodeIdentity identity;

  private FunctionEntity(
      ActorContext<Command> context, FunctionCatalog catalog, GuestScheduler scheduler) {
    super(context);
    this.catalog = catalog;
    this.scheduler = scheduler;
    this.identity = identity(context.getSystem());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(Invoke.class, this::onInvoke).build();
  }

  private Behavior<Command> onInvoke(Invoke invoke) {
    InvocationRequest request = invoke.request();
    AppLimits limits = catalog.limitsFor(request.getApp());
    ActorRef<Reply> replyTo = invoke.replyTo();
    if (invoke.ackTo() != null) {
      invoke.ackTo().tell(new Accepted());
    }
    // The guest's thread replies, not the entity: finishing a request costs the entity nothing.
    scheduler.submit(
        request.getApp(),
        limits,
        deadlineNanos(request, catalog.settings().askTimeout(limits)),
        () -> run(request, identity),
        response -> replyTo.tell(new Reply(response)));
    return this;
  }

  /**
   * When the caller gives up, on this node's {@link System#nanoTime()} clock: the deadline the
   * request carries, never later than the app's ask timeout from now (a sender's clock may run
   * ahead of ours), or that ask timeout when it carries none.
   */
  static long deadlineNanos(InvocationRequest request, Duration askTimeout) {
    long now = System.nanoTime();
    long allowed = askTimeout.toMillis();
    long left =
        request.getDeadlineEpochMillis() > 0
            ? Math.min(allowed, request.getDeadlineEpochMillis() - System.currentTimeMillis())
            : allowed;
    return now + TimeUnit.MILLISECONDS.toNanos(Math.max(left, -allowed));
  }

  private InvocationResponse run(InvocationRequest request, NodeIdentity servedBy) {
    GuestFunction function;
    try {
      function =
          catalog.function(request.getApp(), request.getAppDigest(), request.getTriggerIndex());
    } catch (FunctionCatalog.UnknownFunctionException e) {
      return failure(404, Failure.Kind.UNKNOWN_APP, e.getMessage(), 0);
    }
    try {
      GuestResponse response = function.invoke(toGuestRequest(request, servedBy));
      InvocationResponse.Builder out =
          InvocationResponse.newBuilder()
              .setStatus(response.status())
              .setBody(ByteString.copyFrom(response.body()));
      for (Header h : response.headers()) {
        out.addHeaders(HttpHeader.newBuilder().setName(h.name()).setValue(h.value()));
      }
      return out.build();
    } catch (GuestException e) {
      return guestFailure(e);
    }
  }

  static InvocationResponse guestFailure(GuestException e) {
    return switch (e.kind()) {
      case TIMEOUT -> failure(504, Failure.Kind.TIMEOUT, e.getMessage(), 0);
      case MEMORY_LIMIT -> failure(500, Failure.Kind.MEMORY_LIMIT, e.getMessage(), 0);
      case OUTPUT_LIMIT -> failure(500, Failure.Kind.OUTPUT_LIMIT, e.getMessage(), 0);
      case TRAP -> failure(500, Failure.Kind.TRAP, e.getMessage(), 0);
      case BAD_RESPONSE -> failure(500, Failure.Kind.BAD_RESPONSE, e.getMessage(), 0);
      case EXIT -> failure(500, Failure.Kind.EXIT, e.getMessage(), 0);
      case INTERNAL -> failure(500, Failure.Kind.INTERNAL, e.getMessage(), 0);
    };
  }

  static InvocationResponse failure(int status, Failure.Kind kind, String message, int retryAfter) {
    return InvocationResponse.newBuilder()
        .setStatus(status)
        .setFailure(
            Failure.newBuilder().setKind(kind).setMessage(message).setRetryAfterSeconds(retryAfter))
        .build();
  }

  private static GuestRequest toGuestRequest(InvocationRequest r, NodeIdentity servedBy) {
    List<Header> headers = new ArrayList<>(r.getHeadersCount());
    for (HttpHeader h : r.getHeadersList()) {
      headers.add(new Header(h.getName(), h.getValue()));
    }
    var route = r.getRoute();
    return new GuestRequest(
        r.getMethod(),
        r.getFullUrl(),
        r.getPath(),
        r.getQuery(),
        headers,
        r.getBody().toByteArray(),
        r.getClientAddr(),
        r.getServerName(),
        r.getServerPort(),
        new RouteInfo(
            route.getMatchedRoute(),
            route.getComponentRoute(),
            route.getRawComponentRoute(),
            route.getBasePath(),
            route.getPathInfo(),
            route.getRawPathInfo(),
            route.getPathParamsMap()),
        servedBy);
  }
}
