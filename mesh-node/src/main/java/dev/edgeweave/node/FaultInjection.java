package dev.edgeweave.node;

import com.typesafe.config.Config;
import dev.edgeweave.ingress.AdminApi;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.RemoteTransport;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import org.apache.pekko.stream.Materializer;
import scala.jdk.javaapi.FutureConverters;

/**
 * The fault-injection admin route, for fault tests where the network itself cannot be cut: Artery's
 * test-mode blackhole ({@code pekko.remote.artery.advanced.test-mode}) between this node and the
 * peers named. Only on with {@code edgeweave.testing.fault-injection}; never in production.
 *
 * <pre>
 * POST   /v1/testing/blackhole   body: peer addresses, one a line (host:port or
 *                                pekko://edgeweave@host:port); this node drops every message to
 *                                and from them. 200 + the peers blackholed now, 400 + why
 * DELETE /v1/testing/blackhole   lifts every blackhole this node set. 200
 * </pre>
 */
// Artery's test commands are still the classic throttler's messages, deprecated with it.
@SuppressWarnings("deprecation")
final class FaultInjection implements AdminApi.Extra {

  static final String FLAG = "edgeweave.testing.fault-injection";
  static final String PATH = "/v1/testing/blackhole";

  private final RemoteTransport transport;
  private final Materializer materializer;
  private final Duration timeout;
  private final long maxBodyBytes;
  private final Set<Address> blackholed = ConcurrentHashMap.newKeySet();

  private FaultInjection(ActorSystem<?> system, Config config) {
    this.transport = ((RARP) RARP.get(Adapter.toClassic(system))).provider().transport();
    this.materializer = Materializer.matFromSystem(system);
    this.timeout = config.getDuration("edgeweave.testing.command-timeout");
    this.maxBodyBytes = config.getBytes("edgeweave.testing.max-body-bytes");
  }

  /** The route when the flag is on; else none, and the path is not an admin endpoint. */
  static AdminApi.Extra forConfig(ActorSystem<?> system, Config config) {
    if (!config.getBoolean(FLAG)) {
      return NONE;
    }
    system
        .log()
        .warn(
            "{} is on: the admin API can cut this node off from its peers; never in production",
            FLAG);
    return new FaultInjection(system, config);
  }

  private static final AdminApi.Extra NONE =
      new AdminApi.Extra() {
        @Override
        public boolean handles(HttpRequest request) {
          return false;
        }

        @Override
        public CompletionStage<HttpResponse> apply(HttpRequest request) {
          throw new IllegalStateException("fault injection is off");
        }
      };

  @Override
  public boolean handles(HttpRequest request) {
    return request.getUri().path().equals(PATH);
  }

  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest request) {
    if (request.method().equals(HttpMethods.DELETE)) {
      request.discardEntityBytes(materializer);
      List<Address> all = new ArrayList<>(blackholed);
      return throttle(all, ThrottlerTransportAdapter.unthrottledThrottleMode())
          .thenApply(
              done -> {
                blackholed.removeAll(all);
                return listing();
              });
    }
    if (!request.method().equals(HttpMethods.POST)) {
      request.discardEntityBytes(materializer);
      return CompletableFuture.completedFuture(
          text(StatusCodes.METHOD_NOT_ALLOWED, "POST or DELETE " + PATH));
    }
    return request
        .entity()
        .withSizeLimit(maxBodyBytes)
        .toStrict(timeout.toMillis(), materializer)
        .thenCompose(
            strict -> {
              List<Address> peers;
              try {
                peers = parse(strict.getData().utf8String());
              } catch (IllegalArgumentException e) {
                return CompletableFuture.completedFuture(
                    text(StatusCodes.BAD_REQUEST, e.getMessage()));
              }
              return throttle(peers, ThrottlerTransportAdapter.blackholeThrottleMode())
                  .thenApply(
                      done -> {
                        blackholed.addAll(peers);
                        return listing();
                      });
            })
        .exceptionally(
            error -> {
              Throwable cause = error.getCause() != null ? error.getCause() : error;
              if (cause instanceof EntityStreamSizeException) {
                return text(
                    StatusCodes.CONTENT_TOO_LARGE, "body exceeds " + maxBodyBytes + " bytes");
              }
              return text(StatusCodes.INTERNAL_SERVER_ERROR, "blackhole failed: " + cause);
            });
  }

  /** Peer addresses, one a line: {@code host:port} or a whole node address. */
  static List<Address> parse(String body) {
    List<Address> peers = new ArrayList<>();
    for (String line : body.split("\n")) {
      String entry = line.strip();
      if (entry.isEmpty()) {
        continue;
      }
      Address address;
      if (entry.contains("://")) {
        try {
          address = AddressFromURIString.parse(entry);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("'" + entry + "' is not a node address", e);
        }
      } else {
        int colon = entry.lastIndexOf(':');
        int port;
        try {
          port = colon > 0 ? Integer.parseInt(entry.substring(colon + 1)) : -1;
        } catch (NumberFormatException e) {
          port = -1;
        }
        if (port <= 0 || port > 65535) {
          throw new IllegalArgumentException("'" + entry + "' is not host:port");
        }
        address = new Address("pekko", Node.SYSTEM_NAME, entry.substring(0, colon), port);
      }
      if (address.host().isEmpty() || address.port().isEmpty()) {
        throw new IllegalArgumentException("'" + entry + "' has no host and port");
      }
      peers.add(address);
    }
    if (peers.isEmpty()) {
      throw new IllegalArgumentException("name the peers to blackhole, one a line");
    }
    return peers;
  }

  private CompletableFuture<Void> throttle(
      List<Address> peers, ThrottlerTransportAdapter.ThrottleMode mode) {
    CompletableFuture<?>[] commands = new CompletableFuture<?>[peers.size()];
    for (int i = 0; i < commands.length; i++) {
      commands[i] =
          FutureConverters.asJava(
                  transport.managementCommand(
                      new ThrottlerTransportAdapter.SetThrottle(
                          peers.get(i), ThrottlerTransportAdapter.bothDirection(), mode)))
              .toCompletableFuture()
              .thenAccept(
                  applied -> {
                    if (!Boolean.TRUE.equals(applied)) {
                      throw new IllegalStateException("the cluster transport refused the command");
                    }
                  })
              .orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    return CompletableFuture.allOf(commands);
  }

  private HttpResponse listing() {
    Set<String> now = new TreeSet<>();
    blackholed.forEach(a -> now.add(a.toString()));
    return text(StatusCodes.OK, String.join("\n", now));
  }

  private static HttpResponse text(StatusCode status, String body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(
            HttpEntities.create(
                ContentTypes.TEXT_PLAIN_UTF8, body.getBytes(StandardCharsets.UTF_8)));
  }
}
