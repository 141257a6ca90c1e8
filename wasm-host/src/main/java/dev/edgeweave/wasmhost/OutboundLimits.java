package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * What one invocation of a component may do with outbound HTTP.
 *
 * @param timeout how long one request may take, from the call to the last byte of the response
 *     (never longer than the invocation's wall time, which keeps running while the guest waits)
 * @param maxRequestBytes the largest request body a guest may send; a larger one is refused before
 *     the host reads it
 * @param maxResponseBytes the most a response may hold (headers and body); past it the host stops
 *     reading and the call fails
 * @param maxRequests requests one invocation may send; more are refused
 */
public record OutboundLimits(
    Duration timeout, long maxRequestBytes, long maxResponseBytes, int maxRequests) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  public static final long DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 4L * 1024 * 1024;
  public static final int DEFAULT_MAX_REQUESTS = 16;

  /** A response is held in one array: it stays well under the JVM's array limit. */
  public static final long MAX_BYTES = 1L << 30;

  public static final int MAX_REQUESTS = 10_000;

  public OutboundLimits {
    requireNonNull(timeout, "timeout");
    if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("timeout must be in [1 ms, 1 h], was " + timeout);
    }
    if (maxRequestBytes < 0 || maxRequestBytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "maxRequestBytes must be in [0, " + MAX_BYTES + "], was " + maxRequestBytes);
    }
    if (maxResponseBytes < 0 || maxResponseBytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "maxResponseBytes must be in [0, " + MAX_BYTES + "], was " + maxResponseBytes);
    }
    if (maxRequests < 0 || maxRequests > MAX_REQUESTS) {
      throw new IllegalArgumentException(
          "maxRequests must be in [0, " + MAX_REQUESTS + "], was " + maxRequests);
    }
  }

  /** 10 s, 1 MiB request bodies, 4 MiB responses, 16 requests per invocation. */
  public static OutboundLimits defaults() {
    return new OutboundLimits(
        DEFAULT_TIMEOUT,
        DEFAULT_MAX_REQUEST_BYTES,
        DEFAULT_MAX_RESPONSE_BYTES,
        DEFAULT_MAX_REQUESTS);
  }

  public OutboundLimits withTimeout(Duration timeout) {
    return new OutboundLimits(timeout, maxRequestBytes, maxResponseBytes, maxRequests);
  }

  public OutboundLimits withMaxRequestBytes(long maxRequestBytes) {
    return new OutboundLimits(timeout, maxRequestBytes, maxResponseBytes, maxRequests);
  }

  public OutboundLimits withMaxResponseBytes(long maxResponseBytes) {
    return new OutboundLimits(timeout, maxRequestBytes, maxResponseBytes, maxRequests);
  }

  public OutboundLimits withMaxRequests(int maxRequests) {
    return new OutboundLimits(timeout, maxRequestBytes, maxResponseBytes, maxRequests);
  }
}
