package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deploy propagation, the origin's upload volume and cross-node invocation, measured on real node
 * processes. Not part of the cluster tier (its name does not end in {@code Test}); run it with
 *
 * <pre>
 * mvn -B -ntp verify -pl multi-jvm-tests -am -Dit.test=SpreadBenchmark -Dtest=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * System properties: {@code edgeweave.bench.sizes} (node counts, default {@code 2,4,6}), {@code
 * edgeweave.bench.rounds} (deploys per module and size, default 5), {@code
 * edgeweave.bench.requests} (requests per path and round of the invocation benchmark, default
 * 2000), {@code edgeweave.bench.node-settings} ({@code key=value;key=value} given to every node).
 * Results go to standard output as tables (BENCHMARKS.md). After printing, it fails if the origin
 * sent more than twice a module's size in any deploy at four nodes or more.
 */
class SpreadBenchmark {

  private static final String SECRET = "spread-benchmark-cluster-secret";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration POLL = Duration.ofMillis(20);

  @TempDir static Path apps;

  private static List<Integer> sizes() {
    return Arrays.stream(System.getProperty("edgeweave.bench.sizes", "2,4,6").split(","))
        .map(String::trim)
        .map(Integer::parseInt)
        .toList();
  }

  private static int intProperty(String name, int fallback) {
    return Integer.parseInt(System.getProperty(name, Integer.toString(fallback)));
  }

  private static WeaveCluster cluster(String name, int eu, int us) {
    WeaveCluster.Builder b =
        WeaveCluster.named(name)
            .location("eu", eu)
            .setting("edgeweave.spread.secret", SECRET)
            // Up to seven JVMs start at once on two shared cores: give them time to bind.
            .setting("edgeweave.node.bind-timeout", "60s");
    if (us > 0) {
      b.location("us", us);
    }
    String extra = System.getProperty("edgeweave.bench.node-settings", "");
    for (String pair : extra.split(";")) {
      if (!pair.isBlank()) {
        int eq = pair.indexOf('=');
        b.setting(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
    }
    return b.build();
  }

  /**
   * Starts the nodes one after another: started all at once, six JVMs on two busy cores may not
   * answer within the harness's start timeout.
   */
  private static void startOneByOne(WeaveCluster cluster) {
    for (WeaveNode node : cluster.nodes()) {
      cluster.start(node);
    }
  }

  /** The module with a custom section naming the round appended: a new blob every time. */
  private static byte[] unique(byte[] module, String nonce) {
    byte[] name = "edgeweave-bench".getBytes(StandardCharsets.UTF_8);
    byte[] payload = nonce.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    leb(body, name.length);
    body.writeBytes(name);
    body.writeBytes(payload);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(module);
    out.write(0); // custom section
    leb(out, body.size());
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }

  private static void leb(ByteArrayOutputStream out, int value) {
    do {
      int b = value & 0x7f;
      value >>>= 7;
      out.write(value != 0 ? b | 0x80 : b);
    } while (value != 0);
  }

  /** One deploy: how long until what, and what the origin and all nodes uploaded. */
  private record Deploy(
      long deployMs, long servedMs, long reportedMs, long blobBytes, long originBytes, long all) {}

  @SuppressWarnings("unchecked")
  private static long uploadedBytes(WeaveCluster cluster, WeaveNode node) {
    WeaveCluster.Response r = cluster.adminGet(node, "/v1/status");
    assertEquals(200, r.status(), node + " status: " + r.body());
    Map<String, Object> uploads = (Map<String, Object>) Json.object(r.body()).get("blobUploads");
    if (uploads == null) {
      throw new AssertionError(node + " reports no blobUploads in its status: " + r.body());
    }
    return ((Number) uploads.get("bytes")).longValue();
  }

  private static String digestAt(WeaveCluster cluster, WeaveNode node, String app) {
    WeaveCluster.Response r = cluster.app(node, app);
    return r.status() == 200 ? (String) Json.object(r.body()).get("digest") : "";
  }

  @SuppressWarnings("unchecked")
  private static boolean reportsAllReady(
      WeaveCluster cluster, WeaveNode reporter, String app, String digest, int members) {
    WeaveCluster.Response r = cluster.app(reporter, app);
    if (r.status() != 200) {
      return false;
    }
    Map<String, Object> rollout = (Map<String, Object>) Json.object(r.body()).get("rollout");
    return rollout != null
        && rollout.size() == members
        && rollout.values().stream().allMatch(digest::equals);
  }

  private static Deploy deployAndWait(
      WeaveCluster cluster, WeaveNode origin, String app, byte[] module) {
    Path dir = TestApps.app(app).wagi("/...", "hello", module).writeTo(apps);
    List<WeaveNode> nodes = cluster.nodes();
    Map<WeaveNode, Long> before = new LinkedHashMap<>();
    for (WeaveNode n : nodes) {
      before.put(n, uploadedBytes(cluster, n));
    }
    long start = System.nanoTime();
    String body = cluster.deploy(origin, dir);
    long deployed = System.nanoTime();
    String digest = (String) Json.object(body).get("digest");
    List<WeaveNode> waiting = new ArrayList<>(nodes);
    waiting.remove(origin);
    long servedAt = waiting.isEmpty() ? deployed : -1;
    long reportedAt = -1;
    long deadline = start + READY_TIMEOUT.toNanos();
    while (servedAt < 0 || reportedAt < 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            app + " not ready everywhere within " + READY_TIMEOUT + ", waiting for " + waiting);
      }
      waiting.removeIf(n -> digest.equals(digestAt(cluster, n, app)));
      long now = System.nanoTime();
      if (servedAt < 0 && waiting.isEmpty()) {
        servedAt = now;
      }
      if (reportedAt < 0 && reportsAllReady(cluster, origin, app, digest, nodes.size())) {
        reportedAt = now;
      }
      WeaveCluster.sleep(POLL);
    }
    long originBytes = uploadedBytes(cluster, origin) - before.get(origin);
    long all = 0;
    for (WeaveNode n : nodes) {
      all += uploadedBytes(cluster, n) - before.get(n);
    }
    return new Deploy(
        (deployed - start) / 1_000_000,
        (servedAt - start) / 1_000_000,
        (reportedAt - start) / 1_000_000,
        module.length,
        originBytes,
        all);
  }

  private static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static long[] sorted(List<Deploy> deploys, java.util.function.ToLongFunction<Deploy> f) {
    return deploys.stream().mapToLong(f).sorted().toArray();
  }

  @Test
  void deployPropagationAndOriginUploadVolume() {
    int rounds = intProperty("edgeweave.bench.rounds", 5);
    Map<String, byte[]> modules = new LinkedHashMap<>();
    modules.put("small", TestGuests.c("hello"));
    modules.put("2mib", TestGuests.c("hello-2mib"));
    StringBuilder table = new StringBuilder();
    table.append(
        "\n| nodes | module | blob bytes | deploy call p50 ms | served everywhere p50 / max ms |"
            + " origin reports all ready p50 / max ms | origin upload / blob, mean (max) |"
            + " all uploads / blob |\n|---:|---|---:|---:|---:|---:|---:|---:|\n");
    List<String> overBound = new ArrayList<>();
    for (int size : sizes()) {
      int eu = (size + 1) / 2;
      try (WeaveCluster cluster = cluster("bench-" + size, eu, size - eu)) {
        startOneByOne(cluster);
        cluster.awaitClusterUp(size);
        WeaveNode origin = cluster.node("eu-1");
        // A first deploy warms the nodes' deploy path (class loading, the compiler), unmeasured.
        deployAndWait(cluster, origin, "warm-up", unique(TestGuests.c("hello"), "warm-up"));
        for (Map.Entry<String, byte[]> module : modules.entrySet()) {
          List<Deploy> deploys = new ArrayList<>();
          for (int round = 1; round <= rounds; round++) {
            String app = module.getKey() + "-" + round;
            Deploy d =
                deployAndWait(cluster, origin, app, unique(module.getValue(), size + "/" + app));
            System.out.println("nodes " + size + " " + app + ": " + d);
            deploys.add(d);
            if (size >= 4 && d.originBytes() > 2 * d.blobBytes()) {
              overBound.add(size + " nodes " + app + ": " + d);
            }
          }
          long[] served = sorted(deploys, Deploy::servedMs);
          long[] reported = sorted(deploys, Deploy::reportedMs);
          long[] call = sorted(deploys, Deploy::deployMs);
          double originMean =
              deploys.stream()
                  .mapToDouble(d -> (double) d.originBytes() / d.blobBytes())
                  .average()
                  .orElse(0);
          double originMax =
              deploys.stream()
                  .mapToDouble(d -> (double) d.originBytes() / d.blobBytes())
                  .max()
                  .orElse(0);
          double allMean =
              deploys.stream()
                  .mapToDouble(d -> (double) d.all() / d.blobBytes())
                  .average()
                  .orElse(0);
          table.append(
              String.format(
                  Locale.ROOT,
                  "| %d | %s | %d | %d | %d / %d | %d / %d | %.2f (%.2f) | %.2f |%n",
                  size,
                  module.getKey(),
                  deploys.get(0).blobBytes(),
                  percentile(call, 50),
                  percentile(served, 50),
                  served[served.length - 1],
                  percentile(reported, 50),
                  reported[reported.length - 1],
                  originMean,
                  originMax,
                  allMean));
        }
      }
      System.out.println(table);
    }
    System.out.println("Deploy propagation (" + rounds + " rounds per row):" + table);
    assertTrue(
        overBound.isEmpty(), "the origin sent more than twice the blob's size: " + overBound);
  }

  @Test
  void crossNodeInvocationAgainstLocalInvocation() throws IOException {
    int rounds = intProperty("edgeweave.bench.rounds", 5);
    int requests = intProperty("edgeweave.bench.requests", 2000);
    try (WeaveCluster cluster = cluster("bench-invoke", 2, 0)) {
      startOneByOne(cluster);
      cluster.awaitClusterUp(2);
      Path dir = TestApps.app("invoke").wagi("/...", "hello", TestGuests.c("hello")).writeTo(apps);
      String digest = (String) Json.object(cluster.deploy(cluster.node("eu-1"), dir)).get("digest");
      WeaveCluster.await(
          "eu-2 serving the app",
          READY_TIMEOUT,
          () -> digest.equals(digestAt(cluster, cluster.node("eu-2"), "invoke")));
      HttpClient client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(10))
              .build();
      assertEquals(200, request(client, cluster.node("eu-1")));
      WeaveNode local = null;
      for (WeaveNode n : cluster.nodes()) {
        if (cluster.status(n).entities().contains("invoke#0")) {
          local = n;
        }
      }
      if (local == null) {
        throw new AssertionError("no node reports the entity invoke#0");
      }
      WeaveNode entityHost = local;
      WeaveNode remote = cluster.nodes().stream().filter(n -> n != entityHost).findFirst().get();
      // Warm-up: both paths, unmeasured.
      measure(client, local, requests);
      measure(client, remote, requests);
      List<Long> localAll = new ArrayList<>();
      List<Long> remoteAll = new ArrayList<>();
      StringBuilder table = new StringBuilder();
      table.append(
          "\n| round | local p50 µs | local p99 µs | cross-node p50 µs | cross-node p99 µs |\n"
              + "|---:|---:|---:|---:|---:|\n");
      for (int round = 1; round <= rounds; round++) {
        long[] l;
        long[] r;
        if (round % 2 == 1) {
          l = measure(client, local, requests);
          r = measure(client, remote, requests);
        } else {
          r = measure(client, remote, requests);
          l = measure(client, local, requests);
        }
        Arrays.stream(l).forEach(localAll::add);
        Arrays.stream(r).forEach(remoteAll::add);
        table.append(
            String.format(
                Locale.ROOT,
                "| %d | %d | %d | %d | %d |%n",
                round,
                percentile(l, 50) / 1000,
                percentile(l, 99) / 1000,
                percentile(r, 50) / 1000,
                percentile(r, 99) / 1000));
      }
      long[] l = localAll.stream().mapToLong(Long::longValue).sorted().toArray();
      long[] r = remoteAll.stream().mapToLong(Long::longValue).sorted().toArray();
      table.append(
          String.format(
              Locale.ROOT,
              "| all | %d | %d | %d | %d |%n%nadded by the hop: p50 %d µs, p99 %d µs"
                  + " (entity on %s; local = requests to %s, cross-node = to %s)%n",
              percentile(l, 50) / 1000,
              percentile(l, 99) / 1000,
              percentile(r, 50) / 1000,
              percentile(r, 99) / 1000,
              (percentile(r, 50) - percentile(l, 50)) / 1000,
              (percentile(r, 99) - percentile(l, 99)) / 1000,
              local,
              local,
              remote));
      System.out.println("Cross-node invocation (" + requests + " requests per cell):" + table);
      assertTrue(
          cluster.status(remote).entities().stream().noneMatch(e -> e.equals("invoke#0")),
          "the entity moved to " + remote + " during the run");
    }
  }

  private static int request(HttpClient client, WeaveNode node) throws IOException {
    return WeaveCluster.get(client, node, "invoke.localhost", "/", Duration.ofSeconds(30)).status();
  }

  /** Sorted latencies in nanoseconds of {@code count} requests, one after another. */
  private static long[] measure(HttpClient client, WeaveNode node, int count) throws IOException {
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      WeaveCluster.Response r =
          WeaveCluster.get(client, node, "invoke.localhost", "/", Duration.ofSeconds(30));
      out[i] = System.nanoTime() - start;
      if (r.status() != 200 || !r.body().startsWith("Hello, Edgeweave")) {
        throw new AssertionError(node + " answered " + r.status() + " " + r.body());
      }
    }
    Arrays.sort(out);
    return out;
  }
}
