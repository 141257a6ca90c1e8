package dev.edgeweave.kv.internal;

import dev.edgeweave.kv.KvException;
import java.util.Optional;
import org.apache.pekko.cluster.UniqueAddress;

/**
 * The updates a node makes to a bucket: each takes the node's replica of the bucket and returns the
 * new one (with its delta). The node's clock makes every write win over the one it replaces.
 */
public final class Mutations {

  /** A new bucket and what the update computed. */
  public record Result<R>(KvBucket bucket, R value) {}

  private final UniqueAddress self;
  private final HybridClock clock;

  public Mutations(UniqueAddress self, HybridClock clock) {
    this.self = self;
    this.clock = clock;
  }

  public UniqueAddress self() {
    return self;
  }

  public HybridClock clock() {
    return clock;
  }

  /** Sets {@code key} to {@code value}, or deletes it when {@code value} is null. */
  public KvBucket write(KvBucket b, String key, byte[] value) {
    return b.put(key, KvEntry.written(nextStamp(b, key), value));
  }

  /** Sets {@code key} to the large value {@code blob} names (its bytes are stored apart). */
  public KvBucket writeBlob(KvBucket b, String key, BlobRef blob) {
    return b.put(key, KvEntry.writtenBlob(nextStamp(b, key), blob));
  }

  private Stamp nextStamp(KvBucket b, String key) {
    // Later than the write it replaces, and than the bucket's horizon: a write below the horizon
    // would be collected as soon as it is written.
    long after = Math.max(b.horizon(), b.entry(key).map(e -> e.stamp().hlc()).orElse(0L));
    return new Stamp(clock.next(after), self.longUid());
  }

  /**
   * Adds {@code delta} to the counter at {@code key}; with an operation id this node already holds,
   * changes nothing. Folds this node's claims made before {@code foldBeforeMillis} or beyond {@code
   * maxClaims}.
   */
  public Result<Long> increment(
      KvBucket b,
      String key,
      long delta,
      Optional<String> operationId,
      long foldBeforeMillis,
      int maxClaims) {
    KvEntry entry = b.entry(key).orElse(new KvEntry(Stamp.ZERO, null, CounterState.EMPTY));
    if (entry.holdsValue()) {
      throw new KvException(
          KvException.Kind.NOT_A_COUNTER, "key holds a value, not a counter: " + key);
    }
    CounterState counter = entry.counter();
    if (operationId.isPresent() && counter.hasClaim(operationId.get())) {
      return new Result<>(b, counter.value());
    }
    try {
      Math.addExact(counter.value(), delta);
      counter =
          operationId.isPresent()
              ? counter.claim(
                  operationId.get(),
                  new Claim(self, clock.next(counter.folds().getOrDefault(self, 0L)), delta))
              : counter.add(self, delta);
    } catch (ArithmeticException e) {
      throw new KvException(KvException.Kind.OTHER, "counter would overflow: " + key);
    }
    counter = counter.foldOwn(self, HybridClock.atMillis(foldBeforeMillis), maxClaims);
    return new Result<>(b.put(key, entry.withCounter(counter)), counter.value());
  }

  /** Collects the tombstones older than {@code beforeMillis}, if there are any. */
  public KvBucket collect(KvBucket b, long beforeMillis) {
    long horizon = HybridClock.atMillis(beforeMillis);
    return b.hasCollectible(horizon) ? b.collect(horizon) : b;
  }
}
