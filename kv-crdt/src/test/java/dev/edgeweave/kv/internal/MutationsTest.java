package dev.edgeweave.kv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.apache.pekko.cluster.UniqueAddress;
import org.junit.jupiter.api.Test;

class MutationsTest {

  private final long[] now = {1_000_000};
  private final UniqueAddress self = CrdtLawsTest.NODES.get(0);
  private final Mutations node = new Mutations(self, new HybridClock(() -> now[0]));

  @Test
  void aTombstoneStaysUntilRetentionThenTheNextWriteCollectsIt() {
    KvBucket b = node.write(KvBucket.EMPTY, "gone", "v".getBytes());
    b = node.write(b, "gone", null).resetDelta();
    KvBucket stale = b;
    assertTrue(b.entry("gone").isPresent(), "a fresh tombstone is kept");
    b = node.collect(b, now[0] - 60_000);
    assertTrue(b.entry("gone").isPresent(), "younger than the retention");
    now[0] += 120_000;
    b = node.collect(node.write(b, "other", "x".getBytes()), now[0] - 60_000);
    assertFalse(b.entry("gone").isPresent());
    assertTrue(b.horizon() > 0);
    // A replica that still holds the tombstone drops it when it merges this bucket.
    assertFalse(stale.mergeData(b).entry("gone").isPresent());
    assertFalse(b.mergeData(stale).entry("gone").isPresent());
  }

  @Test
  void claimsBeyondTheCapFoldIntoTheNodesSlotAndTheCountStays() {
    KvBucket b = KvBucket.EMPTY;
    long sum = 0;
    for (int i = 0; i < 10; i++) {
      b = node.increment(b, "c", i + 1, Optional.of("op-" + i), Long.MIN_VALUE / 2, 4).bucket();
      sum += i + 1;
    }
    CounterState c = b.entry("c").orElseThrow().counter();
    assertEquals(sum, c.value());
    assertEquals(4, c.claims().size());
    assertTrue(c.hasClaim("op-9"), "the newest ids are remembered");
    assertFalse(c.hasClaim("op-0"));
    assertEquals(sum - (7 + 8 + 9 + 10), c.slots().get(self).value());
    // A retry of a remembered id changes nothing.
    assertEquals(
        sum, node.increment(b, "c", 10, Optional.of("op-9"), Long.MIN_VALUE / 2, 4).value());
  }

  @Test
  void claimsOlderThanTheRetentionFoldAndAMergeNeverCountsThemTwice() {
    KvBucket b = node.increment(KvBucket.EMPTY, "c", 5, Optional.of("op"), 0, 64).bucket();
    KvBucket copy = b.resetDelta();
    now[0] += 600_000;
    b = node.increment(b, "c", 1, Optional.empty(), now[0] - 300_000, 64).bucket();
    CounterState c = b.entry("c").orElseThrow().counter();
    assertFalse(c.hasClaim("op"));
    assertEquals(6, c.value());
    // A replica still holding the claim merges to the same count.
    assertEquals(6, copy.mergeData(b).entry("c").orElseThrow().counter().value());
    assertEquals(6, b.mergeData(copy).entry("c").orElseThrow().counter().value());
  }

  @Test
  void aWriteIsLaterThanTheOneItReplacesEvenFromAClockBehind() {
    Mutations ahead = new Mutations(CrdtLawsTest.NODES.get(1), new HybridClock(() -> 9_000_000));
    KvBucket b = ahead.write(KvBucket.EMPTY, "k", "ahead".getBytes());
    KvBucket replaced = node.write(b.resetDelta(), "k", "behind".getBytes());
    assertEquals("behind", new String(replaced.entry("k").orElseThrow().read().orElseThrow()));
    assertEquals(
        "behind", new String(b.mergeData(replaced).entry("k").orElseThrow().read().orElseThrow()));
  }
}
