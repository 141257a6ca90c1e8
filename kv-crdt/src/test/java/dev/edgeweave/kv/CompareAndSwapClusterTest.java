package dev.edgeweave.kv;

import static dev.edgeweave.kv.TestNodes.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.concurrent.Await;

/**
 * Majority compare-and-swap across nodes of two locations (Artery on loopback): location {@code a}
 * has two nodes and owns the swaps, location {@code b} has one. Swaps from every node race on one
 * key; then {@code b} is cut off (Artery's test-mode blackhole) and swaps there fail while {@code
 * a}, a majority, goes on.
 */
class CompareAndSwapClusterTest {

  private static final String EXTRA =
      """
      pekko.remote.artery.advanced.test-mode = on
      edgeweave.kv.compare-and-swap.location = a
      edgeweave.kv.compare-and-swap.timeout = 8s
      edgeweave.kv.limits.writes-per-second = 100000
      edgeweave.kv.limits.write-burst = 100000
      """;

  private static final List<ActorSystem<Void>> nodes = new ArrayList<>();
  private static Path dir;

  @BeforeAll
  static void start() {
    dir = TestNodes.tempDir("kv-cas");
    for (String name : List.of("a1", "a2", "b1")) {
      nodes.add(TestNodes.start(TestNodes.config(name.substring(0, 1), dir.resolve(name), EXTRA)));
    }
    TestNodes.form(nodes);
  }

  @AfterAll
  static void stop() {
    nodes.forEach(TestNodes::stop);
    TestNodes.deleteTree(dir);
  }

  private static KvStore store(int node) {
    return ReplicatedKvService.get(nodes.get(node)).open("bank", "default");
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(Optional<byte[]> v) {
    return v.map(x -> new String(x, StandardCharsets.UTF_8)).orElse(null);
  }

  @Test
  void concurrentSwapsFromEveryNodeNeverBothSucceedFromTheSameValue() throws Exception {
    String key = "balance";
    join(store(0).set(key, b("0"), Consistency.MAJORITY));
    int callers = 6;
    int attempts = 25;
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    List<CompletableFuture<List<Long>>> work = new ArrayList<>();
    try {
      for (int t = 0; t < callers; t++) {
        int node = t % nodes.size();
        work.add(
            CompletableFuture.supplyAsync(
                () -> {
                  // The values this caller swapped away from: each is a successful increment.
                  List<Long> from = new ArrayList<>();
                  KvStore store = store(node);
                  for (int i = 0; i < attempts; i++) {
                    long seen = Long.parseLong(s(join(store.get(key, Consistency.MAJORITY))));
                    boolean swapped =
                        join(
                            store.compareAndSwap(
                                key,
                                Optional.of(b(Long.toString(seen))),
                                b(Long.toString(seen + 1))));
                    if (swapped) {
                      from.add(seen);
                    }
                  }
                  return from;
                },
                pool));
      }
      Set<Long> swappedFrom = new HashSet<>();
      int successes = 0;
      for (CompletableFuture<List<Long>> w : work) {
        for (long v : w.get(120, TimeUnit.SECONDS)) {
          successes++;
          assertTrue(swappedFrom.add(v), "two swaps both succeeded from " + v);
        }
      }
      assertTrue(successes > 0);
      assertEquals(Long.toString(successes), s(join(store(2).get(key, Consistency.MAJORITY))));
      assertEquals(Long.toString(successes), s(join(store(0).get(key, Consistency.MAJORITY))));
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void aSwapOnTheCutOffMinorityFailsAndTheMajoritysSwapIsTheOneThatHolds() throws Exception {
    String key = "lock";
    join(store(0).set(key, b("free"), Consistency.MAJORITY));
    cut(true);
    try {
      KvException minority =
          assertThrows(
              KvException.class,
              () -> join(store(2).compareAndSwap(key, Optional.of(b("free")), b("taken-by-b"))));
      assertEquals(KvException.Kind.UNAVAILABLE, minority.kind());
      assertTrue(join(store(1).compareAndSwap(key, Optional.of(b("free")), b("taken-by-a"))));
      assertFalse(join(store(0).compareAndSwap(key, Optional.of(b("free")), b("again"))));
    } finally {
      cut(false);
    }
    // After healing, the minority's swap has not taken effect and cannot: the key moved on.
    TestNodes.await(
        Duration.ofSeconds(30),
        () -> "taken-by-a".equals(s(join(store(2).get(key, Consistency.LOCAL)))));
    assertEquals("taken-by-a", s(join(store(2).get(key, Consistency.MAJORITY))));
    TestNodes.await(
        Duration.ofSeconds(30),
        () -> {
          try {
            return join(
                store(2).compareAndSwap(key, Optional.of(b("taken-by-a")), b("released-by-b")));
          } catch (KvException e) {
            return false; // the owner may still be reconnecting
          }
        });
    assertEquals("released-by-b", s(join(store(0).get(key, Consistency.MAJORITY))));
  }

  private static Address address(int node) {
    return Adapter.toClassic(nodes.get(node)).provider().getDefaultAddress();
  }

  /** Cuts or heals the link between location b's node and location a's two. */
  @SuppressWarnings("deprecation")
  private static void cut(boolean off) throws Exception {
    ThrottlerTransportAdapter.ThrottleMode mode =
        off
            ? ThrottlerTransportAdapter.blackholeThrottleMode()
            : ThrottlerTransportAdapter.unthrottledThrottleMode();
    for (int a : List.of(0, 1)) {
      for (int[] pair : new int[][] {{a, 2}, {2, a}}) {
        var transport =
            ((RARP) RARP.get(Adapter.toClassic(nodes.get(pair[0])))).provider().transport();
        Await.result(
            transport.managementCommand(
                new ThrottlerTransportAdapter.SetThrottle(
                    address(pair[1]), ThrottlerTransportAdapter.bothDirection(), mode)),
            scala.concurrent.duration.Duration.create(10, TimeUnit.SECONDS));
      }
    }
  }
}
