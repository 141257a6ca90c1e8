package dev.edgeweave.kv.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * One key of a bucket: the last set or delete (last writer wins by {@link Stamp}) and the counter
 * of the epoch that write started. A set or delete starts a new epoch and so resets the counter;
 * increments made concurrently against an older epoch are discarded with it, as a later write
 * replaces them. A value is held inline ({@code value}) or, when large, named by its {@link
 * BlobRef} ({@code blob}) with its bytes kept outside the bucket. Immutable; {@code value == null}
 * and {@code blob == null} means deleted or never set.
 */
public final class KvEntry {

  private final Stamp stamp;
  private final byte[] value;
  private final BlobRef blob;
  private final CounterState counter;

  public KvEntry(Stamp stamp, byte[] value, CounterState counter) {
    this(stamp, value, null, counter);
  }

  public KvEntry(Stamp stamp, byte[] value, BlobRef blob, CounterState counter) {
    if (value != null && blob != null) {
      throw new IllegalArgumentException("a value is inline or a blob, not both");
    }
    this.stamp = stamp;
    this.value = value;
    this.blob = blob;
    this.counter = counter;
  }

  public static KvEntry written(Stamp stamp, byte[] value) {
    return new KvEntry(stamp, value, null, CounterState.EMPTY);
  }

  public static KvEntry writtenBlob(Stamp stamp, BlobRef blob) {
    return new KvEntry(stamp, null, blob, CounterState.EMPTY);
  }

  public Stamp stamp() {
    return stamp;
  }

  /** The bytes set, or null when the key was deleted or only ever counted. */
  public byte[] rawValue() {
    return value;
  }

  /** The large value this key holds, named by its digest, or null. */
  public BlobRef blob() {
    return blob;
  }

  public CounterState counter() {
    return counter;
  }

  /** Whether a value was set (inline or large), as opposed to a counter or a delete. */
  public boolean holdsValue() {
    return value != null || blob != null;
  }

  public boolean isCounter() {
    return !holdsValue() && !counter.isEmpty();
  }

  /** Whether the key exists for a reader: a value, or a counter with increments. */
  public boolean isLive() {
    return holdsValue() || !counter.isEmpty();
  }

  /**
   * What a reader gets: the value set, or the counter in decimal. Empty for a large value, whose
   * bytes are not in the bucket ({@link #blob()}).
   */
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
    return !holdsValue() && counter.isEmpty() && stamp.hlc() < horizon;
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
    KvEntry greater = compareContent(other) >= 0 ? this : other;
    return new KvEntry(stamp, greater.value, greater.blob, counter.merge(other.counter));
  }

  public KvEntry withCounter(CounterState newCounter) {
    return new KvEntry(stamp, value, blob, newCounter);
  }

  /** A total order of what two writes set: nothing, then inline values, then large ones. */
  private int compareContent(KvEntry other) {
    if (blob != null || other.blob != null) {
      if (blob == null || other.blob == null) {
        return blob == null ? -1 : 1;
      }
      return blob.compareTo(other.blob);
    }
    return compareValues(value, other.value);
  }

  private static int compareValues(byte[] a, byte[] b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    return Arrays.compareUnsigned(a, b);
  }

  int estimatedBytes(String key) {
    return key.length() * 3
        + 24
        + (value == null ? 0 : value.length)
        + (blob == null ? 0 : 48)
        + counter.estimatedBytes();
  }

  /** Bytes of the large value held outside the bucket, if any. */
  long blobBytes() {
    return blob == null ? 0 : blob.length();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KvEntry e
        && stamp.equals(e.stamp)
        && Arrays.equals(value, e.value)
        && java.util.Objects.equals(blob, e.blob)
        && counter.equals(e.counter);
  }

  @Override
  public int hashCode() {
    return ((stamp.hashCode() * 31 + Arrays.hashCode(value)) * 31
                + java.util.Objects.hashCode(blob))
            * 31
        + counter.hashCode();
  }

  @Override
  public String toString() {
    return "Entry("
        + stamp
        + ", "
        + (value != null ? value.length + " bytes" : blob != null ? blob.toString() : "none")
        + ", "
        + counter
        + ")";
  }
}
