package dev.edgeweave.kv;

import static dev.edgeweave.kv.TestNodes.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 * Two locations of two nodes each, on Artery over loopback. Writers in both locations work on while
 * the locations cannot reach each other (Artery's test-mode blackhole), retrying increments with
 * their operation ids on the other node of their location; once the link heals every node holds the
 * same value for every key.
 */
class MultiLocationTest {

  private static final String EXTRA =
      """
      pekko.remote.artery.advanced.test-mode = on
      edgeweave.kv.compare-and-swap.location = a
      edgeweave.kv.timeouts.majority = 3s
      edgeweave.kv.timeouts.location-majority = 2s
      edgeweave.kv.limits.writes-per-second = 100000
      edgeweave.kv.limits.write-burst = 100000
      """;

  private static final List<ActorSystem<Void>> nodes = new ArrayList<>();
  private static Path dir;

  @BeforeAll
  static void start() {
    dir = TestNodes.tempDir("kv-multi");
    for (String name : List.of("a1", "a2", "b1", "b2")) {
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
    return ReplicatedKvService.get(nodes.get(node)).open("shop", "default");
  }

  private static Address address(int node) {
    return Adapter.toClassic(nodes.get(node)).provider().getDefaultAddress();
  }

  /** Cuts or heals the link between the locations (Artery's test mode takes this command). */
  @SuppressWarnings("deprecation")
  private static void link(boolean up) throws Exception {
    ThrottlerTransportAdapter.ThrottleMode mode =
        up
            ? ThrottlerTransportAdapter.unthrottledThrottleMode()
            : ThrottlerTransportAdapter.blackholeThrottleMode();
    for (int a : List.of(0, 1)) {
      for (int b : List.of(2, 3)) {
        for (int[] pair : new int[][] {{a, b}, {b, a}}) {
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

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void writersInTwoCutOffLocationsConvergeAndCountEveryAcknowledgedIncrementOnce()
      throws Exception {
    join(store(0).set("before", b("seen-by-all"), Consistency.MAJORITY));
    link(false);
    try {
      // A majority of all nodes cannot be reached from either side: the caller sees it.
      KvException e =
          assertThrows(
              KvException.class,
              () -> join(store(0).set("needs-majority", b("x"), Consistency.MAJORITY)));
      assertEquals(KvException.Kind.UNAVAILABLE, e.kind());

      // Location-majority reads ask the other node of the location: no waiting for gossip.
      for (int i = 0; i < 5; i++) {
        join(store(0).set("fresh-" + i, b("f" + i), Consistency.LOCAL));
        assertEquals(
            "f" + i,
            new String(
                join(store(1).get("fresh-" + i, Consistency.LOCATION_MAJORITY)).orElseThrow()));
        join(store(3).set("lock-" + i, b("b2"), Consistency.LOCAL));
        assertEquals(
            false,
            join(
                store(2)
                    .compareAndSwap(
                        "lock-" + i, Optional.empty(), b("b1"), Consistency.LOCATION_MAJORITY)));
      }

      long acknowledged = 0;
      Map<String, String> lastSet = new HashMap<>();
      Set<String> sharedValues = new HashSet<>();
      ExecutorService writers = Executors.newFixedThreadPool(4);
      try {
        List<CompletableFuture<Long>> work = new ArrayList<>();
        for (int node = 0; node < 4; node++) {
          int n = node;
          int partner = n ^ 1;
          String loc = n < 2 ? "a" : "b";
          work.add(
              CompletableFuture.supplyAsync(
                  () -> {
                    long sum = 0;
                    for (int i = 0; i < 40; i++) {
                      String op = "n" + n + "-" + i;
                      long delta = i % 3 + 1;
                      Consistency c =
                          i % 2 == 0 ? Consistency.LOCAL : Consistency.LOCATION_MAJORITY;
                      join(store(n).increment("visits", delta, Optional.of(op), c));
                      if (i % 4 == 0) {
                        // The caller did not hear back and retries on the other node here.
                        join(
                            store(partner)
                                .increment("visits", delta, Optional.of(op), Consistency.LOCAL));
                      }
                      join(store(n).increment("visits", 1, Optional.empty(), c));
                      sum += delta + 1;
                      join(store(n).set(loc + "-key-" + n + "-" + i, b("v" + i), c));
                      join(store(n).set("shared", b("from-" + n + "-" + i), c));
                    }
                    return sum;
                  },
                  writers));
        }
        for (CompletableFuture<Long> w : work) {
          acknowledged += w.get(60, TimeUnit.SECONDS);
        }
      } finally {
        writers.shutdown();
      }
      for (int n = 0; n < 4; n++) {
        String loc = n < 2 ? "a" : "b";
        for (int i = 0; i < 40; i++) {
          lastSet.put(loc + "-key-" + n + "-" + i, "v" + i);
          sharedValues.add("from-" + n + "-" + i);
        }
      }
      // Each side sees its own location's count; the other location's is missing.
      long sideA = Long.parseLong(new String(join(store(0).get("visits")).orElseThrow()));
      assertTrue(sideA < acknowledged, "side A cannot yet see side B's increments");

      link(true);
      long expected = acknowledged;
      TestNodes.await(
          Duration.ofSeconds(60),
          () -> {
            for (int n = 0; n < 4; n++) {
              Optional<byte[]> v = join(store(n).get("visits"));
              if (v.isEmpty() || Long.parseLong(new String(v.get())) != expected) {
                return false;
              }
            }
            return true;
          });
      String shared = new String(join(store(0).get("shared")).orElseThrow());
      assertTrue(sharedValues.contains(shared), shared);
      for (int n = 0; n < 4; n++) {
        KvStore s = store(n);
        assertEquals(Long.toString(expected), new String(join(s.get("visits")).orElseThrow()));
        TestNodes.await(Duration.ofSeconds(30), () -> readAll(s, lastSet));
        assertEquals(shared, new String(join(s.get("shared")).orElseThrow()), "node " + n);
        assertEquals("seen-by-all", new String(join(s.get("before")).orElseThrow()));
      }
    } finally {
      link(true);
    }
  }

  private static boolean readAll(KvStore s, Map<String, String> expected) {
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Optional<byte[]> v = join(s.get(e.getKey()));
      if (v.isEmpty() || !e.getValue().equals(new String(v.get(), StandardCharsets.UTF_8))) {
        return false;
      }
    }
    return true;
  }
}
