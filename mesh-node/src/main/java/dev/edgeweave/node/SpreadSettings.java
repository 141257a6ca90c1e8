package dev.edgeweave.node;

import com.typesafe.config.Config;
import java.time.Duration;

/** How releases spread between nodes ({@code edgeweave.spread} in reference.conf). */
record SpreadSettings(
    String secret,
    String peerHost,
    int peerPort,
    int maxConcurrentUploads,
    Duration fetchTimeout,
    int chunkBytes,
    Duration retryInterval,
    Duration clusterReadTimeout) {

  static SpreadSettings fromConfig(Config config) {
    Config c = config.getConfig("edgeweave.spread");
    String host = c.getString("peer-host");
    SpreadSettings s =
        new SpreadSettings(
            c.getString("secret"),
            host.isEmpty() ? config.getString("pekko.remote.artery.canonical.hostname") : host,
            c.getInt("peer-port"),
            c.getInt("max-concurrent-uploads"),
            c.getDuration("fetch-timeout"),
            (int) Math.min(Integer.MAX_VALUE, c.getBytes("chunk-bytes")),
            c.getDuration("retry-interval"),
            c.getDuration("cluster-read-timeout"));
    if (s.peerPort < 0 || s.peerPort > 65535) {
      throw new IllegalArgumentException("edgeweave.spread.peer-port must be 0 to 65535");
    }
    if (s.maxConcurrentUploads < 1) {
      throw new IllegalArgumentException("edgeweave.spread.max-concurrent-uploads must be >= 1");
    }
    if (s.chunkBytes < 1 || s.fetchTimeout.isNegative() || s.fetchTimeout.isZero()) {
      throw new IllegalArgumentException(
          "edgeweave.spread chunk-bytes and fetch-timeout must be > 0");
    }
    if (s.clusterReadTimeout.isNegative() || s.clusterReadTimeout.isZero()) {
      throw new IllegalArgumentException("edgeweave.spread.cluster-read-timeout must be > 0");
    }
    if (s.retryInterval.isNegative() || s.retryInterval.isZero()) {
      throw new IllegalArgumentException("edgeweave.spread.retry-interval must be > 0");
    }
    return s;
  }

  /** Without a shared secret this node neither serves blobs to peers nor pulls from them. */
  boolean peersEnabled() {
    return !secret.isEmpty();
  }
}
