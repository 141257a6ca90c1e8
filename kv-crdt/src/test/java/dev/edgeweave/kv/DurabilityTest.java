package dev.edgeweave.kv;

import static dev.edgeweave.kv.TestNodes.join;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a node keeps across a restart, and what a majority write survives. */
class DurabilityTest {

  private Path dir;
  private final List<ActorSystem<Void>> running = new ArrayList<>();

  @BeforeEach
  void setUp() {
    dir = TestNodes.tempDir("kv-durable");
  }

  @AfterEach
  void tearDown() {
    running.forEach(TestNodes::stop);
    TestNodes.deleteTree(dir);
  }

  private ActorSystem<Void> node(String name) {
    return node(name, "");
  }

  private ActorSystem<Void> node(String name, String extra) {
    ActorSystem<Void> system = TestNodes.start(TestNodes.config("here", dir.resolve(name), extra));
    running.add(system);
    return system;
  }

  private static String read(ActorSystem<Void> node, String key, Consistency c) {
    return join(ReplicatedKvService.get(node).open("app", "default").get(key, c))
        .map(v -> new String(v, StandardCharsets.UTF_8))
        .orElse(null);
  }

  @Test
  void aRestartedNodeStillHasItsValuesCountersAndDeletes() {
    ActorSystem<Void> first = node("n1");
    TestNodes.form(List.of(first));
    KvStore store = ReplicatedKvService.get(first).open("app", "default");
    join(store.set("kept", "value".getBytes(StandardCharsets.UTF_8)));
    join(store.set("removed", "x".getBytes(StandardCharsets.UTF_8)));
    join(store.delete("removed"));
    join(store.increment("count", 5, "op-1"));
    join(store.increment("count", 2));
    TestNodes.stop(first);
    running.remove(first);

    ActorSystem<Void> second = node("n1");
    TestNodes.form(List.of(second));
    KvStore again = ReplicatedKvService.get(second).open("app", "default");
    assertEquals("value", read(second, "kept", Consistency.LOCAL));
    assertEquals(null, read(second, "removed", Consistency.LOCAL));
    assertEquals("7", read(second, "count", Consistency.LOCAL));
    // The operation id is remembered across the restart: the retry does not count again.
    assertEquals(7L, join(again.increment("count", 5, "op-1")));
    assertEquals(List.of("count", "kept"), join(again.keys(Optional.empty(), 10)).keys());
  }

  @Test
  void aWriteTheDiskCannotTakeIsAStorageFailureForTheCaller() {
    ActorSystem<Void> small = node("small", "edgeweave.kv.durable.map-size = 512 KiB");
    TestNodes.form(List.of(small));
    KvStore store = ReplicatedKvService.get(small).open("app", "default");
    KvException failure = null;
    for (int i = 0; i < 200 && failure == null; i++) {
      try {
        // Inline values (below large-values.inline-max-bytes) live in LMDB with their bucket.
        join(store.set("big-" + i, new byte[15 * 1024]));
      } catch (KvException e) {
        if (e.kind() != KvException.Kind.STORE_TABLE_FULL) {
          failure = e; // a full bucket only means: try a key of another bucket
        }
      }
    }
    // 200 values of 15 KiB over 32 buckets cannot fit 512 KiB of LMDB.
    assertEquals(KvException.Kind.STORAGE_FAILURE, failure == null ? null : failure.kind());
  }

  @Test
  void aWriteAcknowledgedAtMajoritySurvivesTheWritersLoss() {
    ActorSystem<Void> writer = node("w");
    ActorSystem<Void> other1 = node("o1");
    ActorSystem<Void> other2 = node("o2");
    TestNodes.form(List.of(writer, other1, other2));
    join(
        ReplicatedKvService.get(writer)
            .open("app", "default")
            .set("order", "paid".getBytes(StandardCharsets.UTF_8), Consistency.MAJORITY));
    TestNodes.stop(writer);
    running.remove(writer);
    // Without gossip time: a majority read on what remains finds it at once.
    assertEquals("paid", read(other1, "order", Consistency.MAJORITY));
    assertEquals("paid", read(other2, "order", Consistency.MAJORITY));
  }

  @Test
  void aLargeValueAcknowledgedAtMajoritySurvivesTheWritersLossAndARestart() {
    ActorSystem<Void> writer = node("w");
    ActorSystem<Void> other1 = node("o1");
    ActorSystem<Void> other2 = node("o2");
    TestNodes.form(List.of(writer, other1, other2));
    byte[] value = new byte[1024 * 1024];
    new java.util.Random(3).nextBytes(value);
    join(
        ReplicatedKvService.get(writer)
            .open("app", "default")
            .set("video", value, Consistency.MAJORITY));
    TestNodes.stop(writer);
    running.remove(writer);
    // Its bytes reached a majority before the key did: one of the two has them, and a read on
    // the other fetches them from it.
    for (ActorSystem<Void> n : List.of(other1, other2)) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          value,
          join(ReplicatedKvService.get(n).open("app", "default").get("video", Consistency.MAJORITY))
              .orElseThrow());
    }
    TestNodes.stop(other1);
    running.remove(other1);
    ActorSystem<Void> again = node("o1");
    TestNodes.form(List.of(again));
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        value,
        join(ReplicatedKvService.get(again).open("app", "default").get("video", Consistency.LOCAL))
            .orElseThrow());
  }
}
