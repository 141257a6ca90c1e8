package dev.edgeweave.kv;

import static dev.edgeweave.kv.TestNodes.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Values up to the 1 MiB limit between nodes of two locations (Artery on loopback): location {@code
 * a} has two nodes, {@code b} one. Large values travel outside gossip; every level reads them on
 * every node, mixed with small ones, and a value no bucket names any more leaves every node's disk.
 */
class LargeValueReplicationTest {

  private static final int MIB = 1024 * 1024;

  private static final String EXTRA =
      """
      edgeweave.kv.compare-and-swap.location = a
      edgeweave.kv.limits.writes-per-second = 100000
      edgeweave.kv.limits.write-burst = 100000
      edgeweave.kv.large-values.sweep-interval = 1s
      edgeweave.kv.large-values.sweep-grace = 3s
      """;

  private static final List<String> NAMES = List.of("a1", "a2", "b1");
  private static final List<ActorSystem<Void>> nodes = new ArrayList<>();
  private static Path dir;

  @BeforeAll
  static void start() {
    dir = TestNodes.tempDir("kv-large");
    for (String name : NAMES) {
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
    return ReplicatedKvService.get(nodes.get(node)).open("media", "default");
  }

  private static byte[] random(int length, long seed) {
    byte[] v = new byte[length];
    new Random(seed).nextBytes(v);
    return v;
  }

  private static boolean reads(int node, String key, byte[] expected, Consistency c) {
    try {
      return Arrays.equals(expected, join(store(node).get(key, c)).orElse(null));
    } catch (KvException e) {
      return false; // not there yet
    }
  }

  @Test
  void aMegabyteValueWrittenAtEachLevelIsReadOnEveryNode() {
    for (Consistency c : Consistency.values()) {
      for (int writer : List.of(0, 2)) {
        String key = "mb-" + c + "-" + writer;
        byte[] value = random(MIB, c.ordinal() * 10L + writer);
        join(store(writer).set(key, value, c));
        if (c == Consistency.MAJORITY) {
          // A majority read meets the majority write: no waiting for gossip on any node.
          for (int n = 0; n < nodes.size(); n++) {
            assertArrayEquals(value, join(store(n).get(key, c)).orElseThrow(), "node " + n);
          }
        } else if (c == Consistency.LOCATION_MAJORITY && writer == 0) {
          assertArrayEquals(value, join(store(1).get(key, c)).orElseThrow());
        }
        for (int n = 0; n < nodes.size(); n++) {
          int node = n;
          TestNodes.await(Duration.ofSeconds(30), () -> reads(node, key, value, Consistency.LOCAL));
        }
      }
    }
  }

  @Test
  void manyValuesOfMixedSizesFromEveryNodeReachEveryNode() {
    int[] sizes = {0, 1, 100, 16 * 1024, 16 * 1024 + 1, 100_000, 300_000, MIB};
    Map<String, byte[]> expected = new LinkedHashMap<>();
    for (int i = 0; i < 24; i++) {
      String key = "mixed-" + i;
      byte[] value = random(sizes[i % sizes.length], 100 + i);
      join(store(i % 3).set(key, value, Consistency.values()[i % 3]));
      expected.put(key, value);
    }
    // Large becomes small and small becomes large, on other nodes.
    for (int i = 0; i < 8; i++) {
      String key = "mixed-" + i;
      byte[] value = random(sizes[sizes.length - 1 - i], 200 + i);
      join(store((i + 1) % 3).set(key, value, Consistency.LOCAL));
      expected.put(key, value);
    }
    for (int n = 0; n < nodes.size(); n++) {
      for (Map.Entry<String, byte[]> e : expected.entrySet()) {
        int node = n;
        TestNodes.await(
            Duration.ofSeconds(30), () -> reads(node, e.getKey(), e.getValue(), Consistency.LOCAL));
      }
    }
  }

  @Test
  void aValueOverTheLimitIsAClearErrorAndStoresNothing() {
    KvException e =
        assertThrows(KvException.class, () -> join(store(0).set("huge", new byte[MIB + 1])));
    assertEquals(KvException.Kind.VALUE_TOO_LARGE, e.kind());
    assertTrue(e.getMessage().contains("max-value-bytes"), e.getMessage());
    assertTrue(join(store(2).get("huge", Consistency.MAJORITY)).isEmpty());
  }

  @Test
  void aMajoritySwapOfLargeValuesFromTheOtherLocationIsSeenByAMajorityRead() {
    byte[] first = random(MIB, 7);
    byte[] second = random(MIB, 8);
    assertTrue(join(store(2).compareAndSwap("poster", Optional.empty(), first)));
    assertArrayEquals(first, join(store(1).get("poster", Consistency.MAJORITY)).orElseThrow());
    assertTrue(join(store(1).compareAndSwap("poster", Optional.of(first), second)));
    assertEquals(false, join(store(2).compareAndSwap("poster", Optional.of(first), second)));
    assertArrayEquals(second, join(store(0).get("poster", Consistency.MAJORITY)).orElseThrow());
  }

  @Test
  void aLargeValueNoBucketNamesAnyMoreLeavesEveryNode() throws Exception {
    byte[] value = random(MIB, 42);
    String file =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value)) + "-" + MIB;
    join(store(0).set("swept", value, Consistency.MAJORITY));
    for (int n = 0; n < nodes.size(); n++) {
      int node = n;
      TestNodes.await(Duration.ofSeconds(30), () -> reads(node, "swept", value, Consistency.LOCAL));
      assertTrue(Files.exists(blobFile(n, file)), "node " + n + " holds a copy");
    }
    join(store(1).set("swept", "small".getBytes(), Consistency.MAJORITY));
    for (int n = 0; n < nodes.size(); n++) {
      int node = n;
      TestNodes.await(Duration.ofSeconds(60), () -> !Files.exists(blobFile(node, file)));
    }
  }

  @Test
  void aNodeThatJoinsLaterFetchesTheBytesOfAValueItLearnsByGossip() {
    // A cluster of its own: the new node was not there to receive the writer's copy.
    Path own = dir.resolve("later");
    ActorSystem<Void> writer = TestNodes.start(TestNodes.config("a", own.resolve("w"), EXTRA));
    ActorSystem<Void> later = null;
    try {
      TestNodes.form(List.of(writer));
      byte[] value = random(MIB, 99);
      join(
          ReplicatedKvService.get(writer)
              .open("media", "default")
              .set("early", value, Consistency.LOCAL));
      later = TestNodes.start(TestNodes.config("a", own.resolve("l"), EXTRA));
      TestNodes.form(List.of(writer, later));
      KvStore store = ReplicatedKvService.get(later).open("media", "default");
      TestNodes.await(
          Duration.ofSeconds(30),
          () -> {
            try {
              return Arrays.equals(value, join(store.get("early", Consistency.LOCAL)).orElse(null));
            } catch (KvException e) {
              return false;
            }
          });
    } finally {
      if (later != null) {
        TestNodes.stop(later);
      }
      TestNodes.stop(writer);
    }
  }

  private static Path blobFile(int node, String name) {
    return dir.resolve(NAMES.get(node)).resolve("blobs").resolve(name);
  }
}
