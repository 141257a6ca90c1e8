package dev.edgeweave.kv.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Replicas that write, delete and count concurrently (with skewed clocks), exchange full states and
 * deltas in any order, lose or duplicate them, and now and then reach a point where all have seen
 * everything (only then may a node fold its claims and collect tombstones, as the retention
 * settings assume) end up equal once each has heard from every other: every increment counts
 * exactly once, however often it was retried on any replica, and every key holds its last write.
 */
class ConvergenceTest {

  sealed interface Action permits Write, Increment, Send, Deliver, Tick, Stabilize {}

  record Write(int replica, String key, String value) implements Action {}

  record Increment(int replica, String key, long delta, String operationId) implements Action {}

  /** Sends the sender's whole replica to another. */
  record Send(int from, int to) implements Action {}

  /** Delivers a message in flight, keeping it in flight (a duplicate) or not. */
  record Deliver(int index, boolean keep) implements Action {}

  record Tick(int replica, long millis) implements Action {}

  /** Every replica sees everything; then the chosen ones fold claims and collect tombstones. */
  record Stabilize(boolean a, boolean b, boolean c) implements Action {}

  record Message(int to, KvBucket bucket) {}

  private static final int REPLICAS = 3;

  @Test
  void replicasConvergeAndCountEveryIncrementOnce() {
    qt().withExamples(400).forAll(histories(), orders()).checkAssert(ConvergenceTest::converges);
  }

  private static void converges(List<Action> history, List<Integer> order) {
    long[] now = {1_000, 5_000, 0};
    List<Mutations> nodes = new ArrayList<>();
    for (int i = 0; i < REPLICAS; i++) {
      int r = i;
      nodes.add(new Mutations(CrdtLawsTest.NODES.get(i), new HybridClock(() -> now[r])));
    }
    KvBucket[] state = {KvBucket.EMPTY, KvBucket.EMPTY, KvBucket.EMPTY};
    List<Message> inFlight = new ArrayList<>();
    Map<String, Long> expectedCount = new HashMap<>();
    Set<String> countedIds = new HashSet<>();
    Set<String> retiredIds = new HashSet<>();
    Map<String, Long> firstDelta = new HashMap<>();
    Map<String, Stamp> lastStamp = new HashMap<>();
    Map<String, String> lastValue = new HashMap<>();

    for (Action action : history) {
      if (action instanceof Write w) {
        byte[] bytes = w.value() == null ? null : w.value().getBytes(StandardCharsets.UTF_8);
        // Values spelled "#..." stand for large ones: the bucket holds their reference.
        KvBucket next =
            w.value() != null && w.value().startsWith("#")
                ? nodes.get(w.replica()).writeBlob(state[w.replica()], w.key(), BlobRef.of(bytes))
                : nodes.get(w.replica()).write(state[w.replica()], w.key(), bytes);
        Stamp stamp = next.entry(w.key()).orElseThrow().stamp();
        if (lastStamp.get(w.key()) == null || stamp.compareTo(lastStamp.get(w.key())) > 0) {
          lastStamp.put(w.key(), stamp);
          lastValue.put(w.key(), w.value());
        }
        state[w.replica()] = spreadDelta(next, w.replica(), inFlight);
      } else if (action instanceof Increment inc) {
        String id = inc.key() + "/" + inc.operationId();
        if (inc.operationId() != null && retiredIds.contains(id)) {
          continue; // a retry only within the retention window
        }
        // A retry repeats the operation: same key, same delta.
        long delta =
            inc.operationId() == null
                ? inc.delta()
                : firstDelta.computeIfAbsent(id, i -> inc.delta());
        Mutations.Result<Long> r =
            nodes
                .get(inc.replica())
                .increment(
                    state[inc.replica()],
                    inc.key(),
                    delta,
                    Optional.ofNullable(inc.operationId()),
                    Long.MIN_VALUE / 2,
                    Integer.MAX_VALUE);
        if (inc.operationId() == null || countedIds.add(id)) {
          expectedCount.merge(inc.key(), delta, Long::sum);
        }
        state[inc.replica()] = spreadDelta(r.bucket(), inc.replica(), inFlight);
      } else if (action instanceof Send s) {
        inFlight.add(new Message(s.to(), state[s.from()]));
      } else if (action instanceof Deliver d) {
        if (!inFlight.isEmpty()) {
          int i = d.index() % inFlight.size();
          Message m = inFlight.get(i);
          if (!d.keep()) {
            inFlight.remove(i);
          }
          state[m.to()] = state[m.to()].mergeData(m.bucket());
        }
      } else if (action instanceof Tick t) {
        now[t.replica()] += t.millis();
      } else if (action instanceof Stabilize s) {
        KvBucket all = state[0].mergeData(state[1]).mergeData(state[2]);
        inFlight.clear();
        long latest = 0;
        for (KvEntry e : all.entries().values()) {
          latest = Math.max(latest, e.stamp().hlc());
          for (Claim c : e.counter().claims().values()) {
            latest = Math.max(latest, c.hlc());
          }
        }
        boolean[] collect = {s.a(), s.b(), s.c()};
        for (int i = 0; i < REPLICAS; i++) {
          KvBucket b = all;
          if (collect[i]) {
            for (Map.Entry<String, KvEntry> e : all.entries().entrySet()) {
              CounterState folded =
                  e.getValue().counter().foldOwn(nodes.get(i).self(), latest, Integer.MAX_VALUE);
              if (!folded.equals(e.getValue().counter())) {
                b = b.put(e.getKey(), e.getValue().withCounter(folded));
              }
            }
            // The horizon is in the past of every clock, as tombstone-retention is far longer than
            // any clock skew: a write made after this point never falls below it.
            long horizon = latest + 1;
            for (long ms : now) {
              horizon = Math.min(horizon, HybridClock.atMillis(ms));
            }
            b = b.collect(horizon);
          }
          state[i] = b.resetDelta();
        }
        retiredIds.addAll(countedIds);
      }
    }

    // Each replica hears from every other once, in a generated order.
    KvBucket[] before = state.clone();
    for (int i = 0; i < REPLICAS; i++) {
      for (int j = 0; j < REPLICAS; j++) {
        int from = (j + order.get(i)) % REPLICAS;
        state[i] = state[i].mergeData(before[from]);
      }
    }
    assertEquals(state[0], state[1]);
    assertEquals(state[1], state[2]);

    for (String key : List.of("c1", "c2")) {
      long expected = expectedCount.getOrDefault(key, 0L);
      Optional<KvEntry> entry = state[0].entry(key);
      assertEquals(expected, entry.map(e -> e.counter().value()).orElse(0L), key);
    }
    for (String key : List.of("v1", "v2")) {
      Optional<byte[]> read = state[0].entry(key).flatMap(KvEntry::read);
      String expected = lastValue.get(key);
      if (expected == null) {
        assertTrue(read.isEmpty(), key + " should be missing");
        assertTrue(state[0].entry(key).map(e -> e.blob() == null).orElse(true), key);
      } else if (expected.startsWith("#")) {
        assertEquals(
            BlobRef.of(expected.getBytes(StandardCharsets.UTF_8)),
            state[0].entry(key).orElseThrow().blob(),
            key);
      } else {
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), read.orElseThrow(), key);
      }
    }
  }

  /** Keeps the update's delta in flight to every other replica, as delta propagation does. */
  private static KvBucket spreadDelta(KvBucket next, int from, List<Message> inFlight) {
    next.deltaData()
        .ifPresent(
            d -> {
              for (int to = 0; to < REPLICAS; to++) {
                if (to != from) {
                  inFlight.add(new Message(to, d));
                }
              }
            });
    return next.resetDelta();
  }

  static Gen<List<Action>> histories() {
    Gen<Integer> replica = Gens.ints(0, REPLICAS - 1);
    Gen<Action> write =
        replica.zip(
            Gens.oneOf("v1", "v2"),
            Gens.orNull(Gens.oneOf("a", "b", "c", "", "#big1", "#big2"), 30),
            Write::new);
    Gen<Action> increment =
        replica.zip(
            Gens.oneOf("c1", "c2"),
            Gens.longs(-5, 5),
            Gens.orNull(Gens.oneOf("op1", "op2", "op3", "op4", "op5", "op6"), 40),
            Increment::new);
    Gen<Action> send = replica.zip(replica, Send::new);
    Gen<Action> deliver = Gens.ints(0, 1000).zip(Gens.booleans(), Deliver::new);
    Gen<Action> tick = replica.zip(Gens.longs(0, 3_000), Tick::new);
    Gen<Action> stabilize = Gens.booleans().zip(Gens.booleans(), Gens.booleans(), Stabilize::new);
    Gen<Action> action =
        Generate.frequency(
            List.of(
                Pair.of(4, write),
                Pair.of(5, increment),
                Pair.of(3, send),
                Pair.of(5, deliver),
                Pair.of(2, tick),
                Pair.of(1, stabilize)));
    return Gens.lists(action, 0, 80);
  }

  static Gen<List<Integer>> orders() {
    return Gens.lists(Gens.ints(0, REPLICAS - 1), REPLICAS, REPLICAS);
  }
}
