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
  private final AppKv defaults;
  private final Map<String, AppKv> perApp = new ConcurrentHashMap<>();

  private KvSettings(Config edgeweave) {
    Config kv = edgeweave.getConfig("kv");
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
    this.defaults = appKv(kv, "edgeweave.kv");
    Config apps = edgeweave.getConfig("apps");
    // Resolve every override now, so a bad one fails the node at start, not a request later.
    for (String app : apps.root().keySet()) {
      Config override = apps.getConfig("\"" + app + "\"");
      if (override.hasPath("kv")) {
        String path = "edgeweave.apps.\"" + app + "\".kv";
        perApp.put(app, appKv(override.getConfig("kv").withFallback(kv), path));
      }
    }
  }

  private static AppKv appKv(Config kv, String path) {
    try {
      List<String> stores = kv.getStringList("stores");
      return new AppKv(
          KvLimits.fromConfig(kv.getConfig("limits")),
          Set.copyOf(stores),
          Consistency.parse(kv.getString("consistency")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
    }
  }

  public static KvSettings fromConfig(Config root) {
    return new KvSettings(root.getConfig("edgeweave"));
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
}
