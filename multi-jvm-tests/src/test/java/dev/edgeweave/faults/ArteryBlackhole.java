package dev.edgeweave.faults;

import dev.edgeweave.cluster.WeaveCluster;
import dev.edgeweave.cluster.WeaveNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Partitions through the nodes' fault-injection route ({@code POST /v1/testing/blackhole}, on with
 * {@link #FLAG}): every node of a side blackholes every node of the other sides in Pekko Artery's
 * test mode, so cluster messages stop both ways; {@code DELETE} heals. Only the cluster transport
 * is cut: HTTP between the nodes (release blobs) still passes, unlike with network namespaces.
 */
final class ArteryBlackhole {

  static final String FLAG = "edgeweave.testing.fault-injection";
  static final String PATH = "/v1/testing/blackhole";

  /** A node that cannot heal (its admin API gone) must be on its way out within this. */
  private static final Duration EXIT_BOUND = Duration.ofSeconds(60);

  private final WeaveCluster cluster;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ArteryBlackhole(WeaveCluster cluster) {
    this.cluster = cluster;
  }

  /** Replaces any partition in force: heals, then cuts each side off from every other. */
  void partition(List<? extends Collection<WeaveNode>> sides) {
    heal();
    for (Collection<WeaveNode> side : sides) {
      List<String> others = new ArrayList<>();
      for (Collection<WeaveNode> other : sides) {
        if (other != side) {
          other.forEach(n -> others.add(n.address()));
        }
      }
      if (others.isEmpty()) {
        continue;
      }
      String body = String.join("\n", others) + "\n";
      for (WeaveNode node : side) {
        if (!cluster.running().contains(node)) {
          continue; // no process to cut; the other side's blackhole cuts it both ways
        }
        Result r = send(node, "POST", body);
        if (r.status() != 200) {
          throw new IllegalStateException(
              "blackhole at " + node + ": " + r.status() + " " + r.body());
        }
      }
    }
  }

  /**
   * Lifts every blackhole at every running node. A node whose admin API no longer answers must be
   * exiting (downed while cut off): its blackholes end with its process.
   */
  void heal() {
    List<WeaveNode> failed = new ArrayList<>();
    List<Result> why = new ArrayList<>();
    for (WeaveNode node : cluster.running()) {
      Result r = send(node, "DELETE", "");
      if (r.status() != 200) {
        failed.add(node);
        why.add(r);
      }
    }
    for (int i = 0; i < failed.size(); i++) {
      try {
        cluster.awaitExit(failed.get(i), EXIT_BOUND);
      } catch (AssertionError e) {
        throw new AssertionError(
            "heal at " + failed.get(i) + " failed (" + why.get(i) + ") and it does not exit", e);
      }
    }
  }

  private record Result(int status, String body) {}

  private Result send(WeaveNode node, String method, String body) {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://" + node.host() + ":" + node.adminPort() + PATH))
                  .header("Authorization", "Bearer " + cluster.adminToken())
                  .header("Content-Type", "text/plain")
                  .timeout(Duration.ofSeconds(15))
                  .method(method, HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Result(response.statusCode(), response.body());
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static String describe(List<? extends Collection<WeaveNode>> sides) {
    return sides.stream()
        .map(s -> s.stream().map(WeaveNode::name).collect(Collectors.joining(",", "{", "}")))
        .collect(Collectors.joining(" | "));
  }
}
