package dev.edgeweave.kv.internal;

import java.util.function.LongSupplier;

/**
 * Hybrid logical clock: wall-clock milliseconds in the high bits, a logical counter in the low 16
 * bits. Every reading is greater than the previous one on this node and greater than any reading it
 * is asked to follow, so a write always wins over the write it replaces, even when the other node's
 * clock runs ahead.
 */
public final class HybridClock {

  /** Bits of a reading that count events within one millisecond. */
  public static final int LOGICAL_BITS = 16;

  private final LongSupplier millis;
  private long last;

  public HybridClock(LongSupplier millis) {
    this.millis = millis;
  }

  public static HybridClock system() {
    return new HybridClock(System::currentTimeMillis);
  }

  /** A reading later than the last one given and later than {@code after}. */
  public synchronized long next(long after) {
    long physical = millis.getAsLong() << LOGICAL_BITS;
    long reading = Math.max(physical, Math.max(last, after) + 1);
    last = reading;
    return reading;
  }

  /** The reading that corresponds to a wall-clock time, for horizons ("older than"). */
  public static long atMillis(long epochMillis) {
    return epochMillis << LOGICAL_BITS;
  }

  /** Wall-clock milliseconds now, from this clock's source. */
  public long nowMillis() {
    return millis.getAsLong();
  }
}
