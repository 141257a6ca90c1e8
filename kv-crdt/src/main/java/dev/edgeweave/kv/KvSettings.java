package dev.edgeweave.kv;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Settings of the node's KV ({@code edgeweave.kv}) with the per-app overrides. */
public final class KvSettings {

  /** Per-app view: limits, offered store labels and default consistency. */
  public record AppKv(KvLimits limits, Set<String> stores, Consistency consistency) {}

  private final int bucketsPerStore;
  private final Duration localTimeout;
  private final Duration locationTimeout;
  private final Duration majorityTimeout;
  private final Duration tombstoneRetention;
  private final boolean durable;
  private final String durableDir;
  private final long durableMapSize;
  private final int inlineMaxBytes;
  private final Duration transferTimeout;
  private final Duration sweepInterval;
  private final Duration sweepGrace;
  private final String casLocation;
  private final Duration casTimeout;
  private final int casMaxQueued;
  private final AppKv defaults;
  private final Map<String, AppKv> perApp = new ConcurrentHashMap<>();

  private KvSettings(Config root) {
    Config edgeweave = root.getConfig("edgeweave");
    Config kv = edgeweave.getConfig("kv");
    // A bucket replicates as one message; two locations may grow it at once.
    long maxBucketBytes = root.getBytes("pekko.remote.artery.advanced.maximum-frame-size") / 2;
    // A large value travels alone in one message on Artery's large-message channel.
    long maxValueBytes =
        root.getBytes("pekko.remote.artery.advanced.maximum-large-frame-size") - 64 * 1024;
    this.inlineMaxBytes = kv.getBytes("large-values.inline-max-bytes").intValue();
    this.transferTimeout = kv.getDuration("large-values.transfer-timeout");
    this.sweepInterval = kv.getDuration("large-values.sweep-interval");
    this.sweepGrace = kv.getDuration("large-values.sweep-grace");
    if (inlineMaxBytes < 0 || inlineMaxBytes > maxBucketBytes / 2) {
      throw new IllegalArgumentException(
          "edgeweave.kv.large-values.inline-max-bytes must be in 0..(maximum-frame-size / 4): "
              + inlineMaxBytes);
    }
    this.bucketsPerStore = kv.getInt("buckets-per-store");
    if (bucketsPerStore < 1 || bucketsPerStore > 4096) {
      throw new IllegalArgumentException(
          "edgeweave.kv.buckets-per-store must be in 1..4096: " + bucketsPerStore);
    }
    this.localTimeout = kv.getDuration("timeouts.local");
    this.locationTimeout = kv.getDuration("timeouts.location-majority");
    this.majorityTimeout = kv.getDuration("timeouts.majority");
    this.tombstoneRetention = kv.getDuration("tombstone-retention");
    this.durable = kv.getBoolean("durable.enabled");
    this.durableDir = kv.getString("durable.dir");
    this.durableMapSize = kv.getBytes("durable.map-size");
    this.casLocation = kv.getString("compare-and-swap.location");
    this.casTimeout = kv.getDuration("compare-and-swap.timeout");
    this.casMaxQueued = kv.getInt("compare-and-swap.max-queued-per-bucket");
    if (casLocation.isEmpty() || casMaxQueued < 1) {
      throw new IllegalArgumentException(
          "edgeweave.kv.compare-and-swap: expected a location and max-queued-per-bucket >= 1");
    }
    this.defaults = appKv(kv, "edgeweave.kv", maxBucketBytes, maxValueBytes, inlineMaxBytes);
    Config apps = edgeweave.getConfig("apps");
    // Resolve every override now, so a bad one fails the node at start, not a request later.
    for (String app : apps.root().keySet()) {
      Config override = apps.getConfig("\"" + app + "\"");
      if (override.hasPath("kv")) {
        String path = "edgeweave.apps.\"" + app + "\".kv";
        perApp.put(
            app,
            appKv(
                override.getConfig("kv").withFallback(kv),
                path,
                maxBucketBytes,
                maxValueBytes,
                inlineMaxBytes));
      }
    }
  }

  private static AppKv appKv(
      Config kv, String path, long maxBucketBytes, long maxValueBytes, int inlineMaxBytes) {
    try {
      List<String> stores = kv.getStringList("stores");
      KvLimits limits = KvLimits.fromConfig(kv.getConfig("limits"));
      if (limits.maxBucketBytes() > maxBucketBytes) {
        throw new IllegalArgumentException(
            "limit out of range: expected max-bucket-bytes <= half of"
                + " pekko.remote.artery.advanced.maximum-frame-size ("
                + maxBucketBytes
                + "), got "
                + limits.maxBucketBytes());
      }
      if (limits.maxValueBytes() > maxValueBytes) {
        throw new IllegalArgumentException(
            "limit out of range: expected max-value-bytes <="
                + " pekko.remote.artery.advanced.maximum-large-frame-size - 64 KiB ("
                + maxValueBytes
                + "), got "
                + limits.maxValueBytes());
      }
      long entry = limits.maxKeyBytes() + Math.min(limits.maxValueBytes(), inlineMaxBytes) + 1024L;
      if (limits.maxBucketBytes() < entry) {
        throw new IllegalArgumentException(
            "limit out of range: expected max-bucket-bytes >= max-key-bytes + the largest inline"
                + " value (max-value-bytes or large-values.inline-max-bytes) + 1 KiB ("
                + entry
                + "), got "
                + limits.maxBucketBytes());
      }
      return new AppKv(limits, Set.copyOf(stores), Consistency.parse(kv.getString("consistency")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
    }
  }

  public static KvSettings fromConfig(Config root) {
    return new KvSettings(root);
  }

  public AppKv forApp(String app) {
    return perApp.getOrDefault(app, defaults);
  }

  public int bucketsPerStore() {
    return bucketsPerStore;
  }

  /** How long a call waits for this node's replicator (and its durable store). */
  public Duration localTimeout() {
    return localTimeout;
  }

  public Duration timeout(Consistency c) {
    return switch (c) {
      case LOCAL -> localTimeout;
      case LOCATION_MAJORITY -> locationTimeout;
      case MAJORITY -> majorityTimeout;
    };
  }

  public Duration tombstoneRetention() {
    return tombstoneRetention;
  }

  public boolean durable() {
    return durable;
  }

  public String durableDir() {
    return durableDir;
  }

  public long durableMapSize() {
    return durableMapSize;
  }

  /** Values longer than this live outside their bucket, their bytes sent apart from gossip. */
  public int inlineMaxBytes() {
    return inlineMaxBytes;
  }

  /** How long one node waits for another to store or send a large value. */
  public Duration transferTimeout() {
    return transferTimeout;
  }

  /** How often the node deletes its copies of large values no bucket names any more. */
  public Duration sweepInterval() {
    return sweepInterval;
  }

  /** A large value stored more recently than this is kept even if no bucket names it yet. */
  public Duration sweepGrace() {
    return sweepGrace;
  }

  /** The location (Pekko data center) whose nodes own every majority compare-and-swap. */
  public String casLocation() {
    return casLocation;
  }

  /** How long a majority compare-and-swap waits for its owner's answer. */
  public Duration casTimeout() {
    return casTimeout;
  }

  public int casMaxQueued() {
    return casMaxQueued;
  }
}
