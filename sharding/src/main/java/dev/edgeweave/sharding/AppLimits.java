package dev.edgeweave.sharding;

import com.typesafe.config.Config;
import dev.edgeweave.wasmhost.Limits;
import dev.edgeweave.wasmhost.OutboundLimits;
import java.time.Duration;
import java.util.Objects;

/**
 * The limits one request of an app runs under: {@code edgeweave.limits}, overridable per app.
 * {@code outbound} bounds its outbound HTTP; {@code outboundToIngress} lets its guests call this
 * node's public port (other apps, or their own), which is refused otherwise.
 */
public record AppLimits(
    int maxMemoryPages,
    Duration wallTime,
    long maxStdoutBytes,
    long maxBodyBytes,
    long maxHeaderBytes,
    int maxConcurrency,
    int maxQueue,
    Duration retryAfter,
    int maxTableElements,
    long maxTransientWriteBytes,
    OutboundLimits outbound,
    boolean outboundToIngress) {

  public AppLimits {
    Objects.requireNonNull(outbound, "outbound");
    Objects.requireNonNull(wallTime, "wallTime");
    Objects.requireNonNull(retryAfter, "retryAfter");
    check(
        maxMemoryPages >= 1 && maxMemoryPages <= Limits.MAX_MEMORY_PAGES,
        "max-memory-pages in 1.." + Limits.MAX_MEMORY_PAGES,
        maxMemoryPages);
    check(!wallTime.isNegative() && !wallTime.isZero(), "wall-time > 0", wallTime);
    check(maxStdoutBytes > 0, "max-stdout-bytes > 0", maxStdoutBytes);
    check(
        maxBodyBytes >= 0 && maxBodyBytes <= Integer.MAX_VALUE - 8,
        "max-body-bytes in 0..2 GiB",
        maxBodyBytes);
    check(maxHeaderBytes > 0, "max-header-bytes > 0", maxHeaderBytes);
    check(maxConcurrency >= 1, "max-concurrency >= 1", maxConcurrency);
    check(maxQueue >= 0 && maxQueue <= 1_000_000, "max-queue in 0..1000000", maxQueue);
    check(!retryAfter.isNegative(), "retry-after >= 0", retryAfter);
    check(
        maxTableElements >= 0 && maxTableElements <= Limits.MAX_TABLE_ELEMENTS,
        "max-table-elements in 0.." + Limits.MAX_TABLE_ELEMENTS,
        maxTableElements);
    check(
        maxTransientWriteBytes >= 0 && maxTransientWriteBytes <= Limits.MAX_TRANSIENT_WRITE_BYTES,
        "max-transient-write-bytes in 0..1 GiB",
        maxTransientWriteBytes);
  }

  /** Limits with the default outbound HTTP limits, no calls to this node's public port. */
  public AppLimits(
      int maxMemoryPages,
      Duration wallTime,
      long maxStdoutBytes,
      long maxBodyBytes,
      long maxHeaderBytes,
      int maxConcurrency,
      int maxQueue,
      Duration retryAfter,
      int maxTableElements,
      long maxTransientWriteBytes) {
    this(
        maxMemoryPages,
        wallTime,
        maxStdoutBytes,
        maxBodyBytes,
        maxHeaderBytes,
        maxConcurrency,
        maxQueue,
        retryAfter,
        maxTableElements,
        maxTransientWriteBytes,
        OutboundLimits.defaults(),
        false);
  }

  /** Reads one {@code limits} block. */
  public static AppLimits fromConfig(Config limits) {
    Config outbound = limits.getConfig("outbound");
    OutboundLimits outboundLimits;
    try {
      outboundLimits =
          new OutboundLimits(
              outbound.getDuration("timeout"),
              outbound.getBytes("max-request-bytes"),
              outbound.getBytes("max-response-bytes"),
              outbound.getInt("max-requests"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("outbound: " + e.getMessage(), e);
    }
    return new AppLimits(
        limits.getInt("max-memory-pages"),
        limits.getDuration("wall-time"),
        limits.getBytes("max-stdout-bytes"),
        limits.getBytes("max-body-bytes"),
        limits.getBytes("max-header-bytes"),
        limits.getInt("max-concurrency"),
        limits.getInt("max-queue"),
        limits.getDuration("retry-after"),
        limits.getInt("max-table-elements"),
        limits.getBytes("max-transient-write-bytes"),
        outboundLimits,
        outbound.getBoolean("allow-ingress"));
  }

  /** The part of these limits the Wasm engine enforces. */
  public Limits guestLimits() {
    return Limits.defaults()
        .withMaxMemoryPages(maxMemoryPages)
        .withWallTime(wallTime)
        .withMaxStdoutBytes(maxStdoutBytes)
        .withMaxTableElements(maxTableElements)
        .withMaxTransientWriteBytes(maxTransientWriteBytes);
  }

  private static void check(boolean ok, String expected, Object actual) {
    if (!ok) {
      throw new IllegalArgumentException(
          "limit out of range: expected " + expected + ", got " + actual);
    }
  }
}
