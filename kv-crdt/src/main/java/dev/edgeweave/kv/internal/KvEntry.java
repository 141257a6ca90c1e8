package dev.edgeweave.kv.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * One key of a bucket: the last set or delete (last writer wins by {@link Stamp}) and the counter
 * of the epoch that write started. A set or delete starts a new epoch and so resets the counter;
 * increments made concurrently against an older epoch are discarded with it, as a later write
 * replaces them. Immutable; {@code value == null} means deleted or never set.
 */
public final class KvEntry {

  private final Stamp stamp;
  private final byte[] value;
  private final CounterState counter;

  public KvEntry(Stamp stamp, byte[] value, CounterState counter) {
    this.stamp = stamp;
    this.value = value;
    this.counter = counter;
  }

  public static KvEntry written(Stamp stamp, byte[] value) {
    return new KvEntry(stamp, value, CounterState.EMPTY);
  }

  public Stamp stamp() {
    return stamp;
  }

  /** The bytes set, or null when the key was deleted or only ever counted. */
  public byte[] rawValue() {
    return value;
  }

  public CounterState counter() {
    return counter;
  }

  public boolean isCounter() {
    return value == null && !counter.isEmpty();
  }

  /** Whether the key exists for a reader: a value, or a counter with increments. */
  public boolean isLive() {
    return value != null || !counter.isEmpty();
  }

  /** What a reader gets: the value set, or the counter in decimal. */
  public Optional<byte[]> read() {
    if (value != null) {
      return Optional.of(value.clone());
    }
    if (!counter.isEmpty()) {
      return Optional.of(Long.toString(counter.value()).getBytes(StandardCharsets.US_ASCII));
    }
    return Optional.empty();
  }

  /** A deleted key whose delete is older than the horizon: nothing left to keep. */
  boolean collectible(long horizon) {
    return value == null && counter.isEmpty() && stamp.hlc() < horizon;
  }

  /**
   * Join: the later write wins with its counter; two entries of the same write merge their
   * counters. Equal stamps with different values cannot come from this store, but merge to the
   * greater value so that the result never depends on the order of merges.
   */
  public KvEntry merge(KvEntry other) {
    if (other == this) {
      return this;
    }
    int c = stamp.compareTo(other.stamp);
    if (c > 0) {
      return this;
    }
    if (c < 0) {
      return other;
    }
    byte[] v = compareValues(value, other.value) >= 0 ? value : other.value;
    return new KvEntry(stamp, v, counter.merge(other.counter));
  }

  public KvEntry withCounter(CounterState newCounter) {
    return new KvEntry(stamp, value, newCounter);
  }

  private static int compareValues(byte[] a, byte[] b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    return Arrays.compareUnsigned(a, b);
  }

  int estimatedBytes(String key) {
    return key.length() * 3 + 24 + (value == null ? 0 : value.length) + counter.estimatedBytes();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KvEntry e
        && stamp.equals(e.stamp)
        && Arrays.equals(value, e.value)
        && counter.equals(e.counter);
  }

  @Override
  public int hashCode() {
    return (stamp.hashCode() * 31 + Arrays.hashCode(value)) * 31 + counter.hashCode();
  }

  @Override
  public String toString() {
    return "Entry("
        + stamp
        + ", "
        + (value == null ? "none" : value.length + " bytes")
        + ", "
        + counter
        + ")";
  }
}
