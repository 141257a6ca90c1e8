package dev.edgeweave.cluster;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A steady stream of requests: for each (node, app), {@code GET /} to {@code <app>.localhost} on
 * that node every {@link #PACE}, whether or not earlier requests have answered (so a request that
 * hangs does not hide the ones behind it), each outcome recorded with its times. A request that
 * never reached its node (refused: the node unbound or is gone) or that the node closed unanswered
 * may be retried once on another node, as a client that knows several nodes would.
 */
public final class Traffic implements AutoCloseable {

  /** Gap between two requests of one (node, app) stream. */
  static final Duration PACE = Duration.ofMillis(100);

  /**
   * A request's timeout: longer than the node's own (wall time plus ask margin), so its 504 shows.
   */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long a connection may take to open. Generous: on a loaded two-core machine the client's own
   * selector thread can wait seconds for the CPU, and that is no failure of the node.
   */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Requests of one stream waiting for an answer at most; past it the stream skips a beat. */
  static final int MAX_OUTSTANDING = 400;

  /**
   * One request: where it went, when it started and ended (System.nanoTime), the status (0 when no
   * HTTP answer came), the I/O error if any, whether it never reached the node (refused, or the
   * connection did not open), whether the node closed the connection without answering a byte, and
   * whether it is the retry of such a request.
   */
  public record Outcome(
      WeaveNode node,
      String app,
      long startNanos,
      long endNanos,
      int status,
      String error,
      boolean refused,
      boolean unanswered,
      boolean retry) {

    public boolean ok() {
      return status == 200;
    }

    /**
     * A 5xx, or an I/O failure other than a refused connection or a connection closed before any
     * answer. (Pekko HTTP answers every request it handed to the node, and a node shutting down
     * closes the connections that raced its unbind before reading their request; a client sends
     * such a request elsewhere, as the JDK client itself does on a kept-alive connection.)
     */
    public boolean failedAfterAccepted() {
      return status >= 500 || (status == 0 && !refused && !unanswered);
    }

    @Override
    public String toString() {
      return node
          + " "
          + app
          + " -> "
          + (status > 0 ? Integer.toString(status) : error)
          + (retry ? " (retry)" : "");
    }
  }

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(CONNECT_TIMEOUT)
          .build();
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();

  /** Requests sent and not answered yet, with where they went and when. */
  private final Map<CompletableFuture<?>, Pending> inFlight = new ConcurrentHashMap<>();

  private record Pending(WeaveNode node, String app, long startNanos) {}

  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "traffic");
            t.setDaemon(true);
            return t;
          });
  private final Map<WeaveNode, WeaveNode> retryElsewhere;

  private Traffic(Map<WeaveNode, WeaveNode> retryElsewhere) {
    this.retryElsewhere = retryElsewhere;
  }

  /** Starts streams to every app on every node; no retries. */
  public static Traffic start(Collection<WeaveNode> nodes, Collection<String> apps) {
    return start(nodes, apps, Map.of());
  }

  /**
   * Starts streams to every app on every node; a request refused or closed unanswered by a node
   * that is a key of {@code retryElsewhere} is sent again to the node it maps to.
   */
  public static Traffic start(
      Collection<WeaveNode> nodes,
      Collection<String> apps,
      Map<WeaveNode, WeaveNode> retryElsewhere) {
    Traffic traffic = new Traffic(retryElsewhere);
    List<WeaveNode> targets = List.copyOf(nodes);
    List<String> names = List.copyOf(apps);
    Map<String, AtomicInteger> outstanding = new ConcurrentHashMap<>();
    traffic.ticker.scheduleAtFixedRate(
        () -> {
          for (WeaveNode node : targets) {
            for (String app : names) {
              AtomicInteger waiting =
                  outstanding.computeIfAbsent(node + "/" + app, k -> new AtomicInteger());
              if (waiting.get() >= MAX_OUTSTANDING) {
                continue;
              }
              waiting.incrementAndGet();
              traffic.send(node, app, false).whenComplete((o, e) -> waiting.decrementAndGet());
            }
          }
        },
        0,
        PACE.toMillis(),
        TimeUnit.MILLISECONDS);
    return traffic;
  }

  private CompletableFuture<Outcome> send(WeaveNode node, String app, boolean retry) {
    long start = System.nanoTime();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + node.host() + ":" + node.httpPort() + "/"))
            .header("Host", app + ".localhost")
            .timeout(REQUEST_TIMEOUT)
            .GET()
            .build();
    CompletableFuture<Outcome> outcome =
        client
            .sendAsync(request, HttpResponse.BodyHandlers.discarding())
            .handle(
                (response, error) -> {
                  if (response != null) {
                    return new Outcome(
                        node,
                        app,
                        start,
                        System.nanoTime(),
                        response.statusCode(),
                        null,
                        false,
                        false,
                        retry);
                  }
                  Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                  return new Outcome(
                      node,
                      app,
                      start,
                      System.nanoTime(),
                      0,
                      String.valueOf(cause),
                      notConnected(cause),
                      closedUnanswered(cause),
                      retry);
                });
    inFlight.put(outcome, new Pending(node, app, start));
    return outcome.thenApply(
        o -> {
          WeaveNode other = retryElsewhere.get(node);
          if ((o.refused() || o.unanswered()) && !retry && other != null) {
            send(other, app, true);
          }
          outcomes.add(o);
          inFlight.remove(outcome);
          return o;
        });
  }

  /** True when no request of this stream has waited for its answer longer than {@code age}. */
  public boolean noneWaitingLongerThan(WeaveNode node, String app, Duration age) {
    long cutoff = System.nanoTime() - age.toNanos();
    return inFlight.values().stream()
        .noneMatch(p -> p.node() == node && p.app().equals(app) && p.startNanos() < cutoff);
  }

  /**
   * The request never reached the node: the connection was refused or could not open. (The JDK
   * client also resends an idempotent request once when a kept-alive connection closes before any
   * answer; a refusal of that second attempt lands here too.)
   */
  private static boolean notConnected(Throwable error) {
    return error instanceof ConnectException || error instanceof HttpConnectTimeoutException;
  }

  /** The node closed the connection before sending a byte of an answer. */
  private static boolean closedUnanswered(Throwable error) {
    return error instanceof IOException
        && String.valueOf(error.getMessage()).contains("received no bytes");
  }

  /**
   * What one node's clients saw from an instant on (an injected fault): how many requests ended
   * after it, how many failed and why, and the error window, from the fault to the sending of the
   * last request that failed (after it, requests succeed) and to that request's answer.
   */
  public record Window(
      WeaveNode node,
      int requests,
      List<Outcome> failed,
      double firstFailedSentSeconds,
      double lastFailedSentSeconds,
      double lastFailedAnsweredSeconds) {

    public static Window of(List<Outcome> outcomes, WeaveNode node, long faultNanos) {
      List<Outcome> after =
          outcomes.stream().filter(o -> o.node() == node && o.endNanos() > faultNanos).toList();
      List<Outcome> failed = after.stream().filter(o -> !o.ok()).toList();
      Optional<Outcome> first = failed.stream().min(Comparator.comparingLong(Outcome::startNanos));
      Optional<Outcome> last = failed.stream().max(Comparator.comparingLong(Outcome::startNanos));
      return new Window(
          node,
          after.size(),
          failed,
          first.map(o -> (o.startNanos() - faultNanos) / 1e9).orElse(0.0),
          last.map(o -> (o.startNanos() - faultNanos) / 1e9).orElse(0.0),
          last.map(o -> (o.endNanos() - faultNanos) / 1e9).orElse(0.0));
    }

    @Override
    public String toString() {
      if (failed.isEmpty()) {
        return String.format("%s (%s): %d requests, none failed", node, node.location(), requests);
      }
      Map<String, Long> why =
          failed.stream()
              .collect(
                  Collectors.groupingBy(
                      o -> o.status() > 0 ? Integer.toString(o.status()) : o.error(),
                      TreeMap::new,
                      Collectors.counting()));
      return String.format(
          "%s (%s): %d requests, %d failed %s; error window %.1f s (failing requests were sent"
              + " from %.1f s to %.1f s after the fault, the last answered at %.1f s)",
          node,
          node.location(),
          requests,
          failed.size(),
          why,
          lastFailedSentSeconds,
          firstFailedSentSeconds,
          lastFailedSentSeconds,
          lastFailedAnsweredSeconds);
    }
  }

  /** Everything recorded so far. */
  public List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  /** The outcomes that match, in order of their start. */
  public List<Outcome> outcomes(Predicate<Outcome> filter) {
    return outcomes.stream()
        .filter(filter)
        .sorted(Comparator.comparingLong(Outcome::startNanos))
        .toList();
  }

  /**
   * Every stream to these nodes and apps sent requests since {@code sinceNanos}, all answered 200,
   * and none of its requests has waited for more than a second.
   */
  public boolean servingSince(List<WeaveNode> nodes, List<String> apps, long sinceNanos) {
    for (WeaveNode node : nodes) {
      for (String app : apps) {
        List<Outcome> recent =
            outcomes(o -> o.node() == node && o.app().equals(app) && o.startNanos() >= sinceNanos);
        if (recent.isEmpty()
            || !recent.stream().allMatch(Outcome::ok)
            || !noneWaitingLongerThan(node, app, Duration.ofSeconds(1))) {
          return false;
        }
      }
    }
    return true;
  }

  /** Nanoseconds as seconds, for reports. */
  public static double seconds(long nanos) {
    return nanos / 1e9;
  }

  /** Stops sending, waits for the requests in flight, and returns every outcome. */
  public List<Outcome> stop() {
    ticker.shutdownNow();
    long deadline = System.nanoTime() + REQUEST_TIMEOUT.plusSeconds(5).toNanos();
    while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
      WeaveCluster.sleep(Duration.ofMillis(50));
    }
    return outcomes();
  }

  @Override
  public void close() {
    stop();
  }
}
