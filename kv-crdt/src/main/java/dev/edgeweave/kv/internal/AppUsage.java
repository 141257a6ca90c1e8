package dev.edgeweave.kv.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bytes each app holds, summed over the buckets this node has read or written. An estimate of the
 * app's whole data as this node sees it; used for {@code max-app-bytes}.
 */
public final class AppUsage {

  private final Map<String, Map<String, Long>> buckets = new ConcurrentHashMap<>();
  private final Map<String, Long> totals = new ConcurrentHashMap<>();

  /** What the app would hold if this bucket had {@code bytes}. */
  public long totalWith(String app, String bucketId, long bytes) {
    Long old = buckets.getOrDefault(app, Map.of()).get(bucketId);
    return totals.getOrDefault(app, 0L) - (old == null ? 0 : old) + bytes;
  }

  public synchronized void record(String app, String bucketId, long bytes) {
    Long old = buckets.computeIfAbsent(app, a -> new ConcurrentHashMap<>()).put(bucketId, bytes);
    totals.merge(app, bytes - (old == null ? 0 : old), Long::sum);
  }

  public long total(String app) {
    return totals.getOrDefault(app, 0L);
  }
}
