package dev.edgeweave.kv.internal;

import java.util.function.LongSupplier;

/** A token bucket: {@code rate} tokens per second, holding at most {@code burst}. Thread-safe. */
public final class WriteRateLimiter {

  private final double ratePerNano;
  private final double burst;
  private final LongSupplier nanos;
  private double tokens;
  private long last;

  public WriteRateLimiter(double perSecond, int burst, LongSupplier nanos) {
    this.ratePerNano = perSecond / 1e9;
    this.burst = burst;
    this.nanos = nanos;
    this.tokens = burst;
    this.last = nanos.getAsLong();
  }

  public synchronized boolean tryAcquire() {
    long now = nanos.getAsLong();
    tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
