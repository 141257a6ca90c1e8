package dev.edgeweave.node;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * How releases spread between nodes ({@code edgeweave.spread} in reference.conf); with the
 * cluster's TLS keys ({@code edgeweave.cluster.tls.keys-dir}) blobs move over HTTPS with client
 * certificates.
 */
record SpreadSettings(
    String secret,
    String peerHost,
    int peerPort,
    int maxConcurrentUploads,
    int maxUploadsPerBlob,
    Duration busyRetry,
    Duration busyWait,
    Duration fetchTimeout,
    int chunkBytes,
    Duration retryInterval,
    Duration noticeWriteTimeout,
    Duration clusterReadTimeout,
    Optional<Path> tlsKeys,
    Duration tlsReload,
    Optional<SSLContext> tls) {

  static SpreadSettings fromConfig(Config config) {
    Config c = config.getConfig("edgeweave.spread");
    String host = c.getString("peer-host");
    SpreadSettings s =
        new SpreadSettings(
            c.getString("secret"),
            host.isEmpty() ? config.getString("pekko.remote.artery.canonical.hostname") : host,
            c.getInt("peer-port"),
            c.getInt("max-concurrent-uploads"),
            c.getInt("max-uploads-per-blob"),
            c.getDuration("busy-retry"),
            c.getDuration("busy-wait"),
            c.getDuration("fetch-timeout"),
            (int) Math.min(Integer.MAX_VALUE, c.getBytes("chunk-bytes")),
            c.getDuration("retry-interval"),
            c.getDuration("notice-write-timeout"),
            c.getDuration("cluster-read-timeout"),
            ClusterTls.keysDir(config),
            config.getDuration(ClusterTls.ENGINE + ".ssl-context-cache-ttl"),
            Optional.empty());
    if (s.peerPort < 0 || s.peerPort > 65535) {
      throw new IllegalArgumentException("edgeweave.spread.peer-port must be 0 to 65535");
    }
    if (s.maxConcurrentUploads < 1) {
      throw new IllegalArgumentException("edgeweave.spread.max-concurrent-uploads must be >= 1");
    }
    if (s.maxUploadsPerBlob < 1) {
      throw new IllegalArgumentException("edgeweave.spread.max-uploads-per-blob must be >= 1");
    }
    if (s.busyRetry.isNegative() || s.busyRetry.isZero() || s.busyWait.isNegative()) {
      throw new IllegalArgumentException(
          "edgeweave.spread.busy-retry must be > 0 and busy-wait >= 0");
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
    if (s.noticeWriteTimeout.isNegative()) {
      throw new IllegalArgumentException("edgeweave.spread.notice-write-timeout must be >= 0");
    }
    return s;
  }

  /** How a notice or ready mark is written: to every node at once, or left to gossip. */
  Replicator.WriteConsistency noticeWrite() {
    return noticeWriteTimeout.isZero()
        ? Replicator.writeLocal()
        : new Replicator.WriteAll(noticeWriteTimeout);
  }

  /**
   * Without the cluster's TLS keys nor a shared secret this node neither serves blobs to peers nor
   * pulls from them.
   */
  boolean peersEnabled() {
    return !secret.isEmpty() || tlsKeys.isPresent();
  }

  /** These settings with the TLS context made from {@link #tlsKeys()}. */
  SpreadSettings withTls(SSLContext context) {
    return new SpreadSettings(
        secret,
        peerHost,
        peerPort,
        maxConcurrentUploads,
        maxUploadsPerBlob,
        busyRetry,
        busyWait,
        fetchTimeout,
        chunkBytes,
        retryInterval,
        noticeWriteTimeout,
        clusterReadTimeout,
        tlsKeys,
        tlsReload,
        Optional.of(context));
  }

  /** How peers reach this node's blob server: https with the cluster's keys, else http. */
  String scheme() {
    return tlsKeys.isPresent() ? "https" : "http";
  }
}
