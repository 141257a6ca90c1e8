package dev.edgeweave.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.AddressFromURIString;

/** The settings Pekko reads that a node derives from its own ({@code edgeweave.node}). */
final class NodeConfig {

  static final String SEED_NODES = "edgeweave.node.seed-nodes";
  static final String PEKKO_SEED_NODES = "pekko.cluster.seed-nodes";
  static final String ARTERY_TEST_MODE = "pekko.remote.artery.advanced.test-mode";
  static final String REQUESTS_DONE_TIMEOUT =
      "pekko.coordinated-shutdown.phases.service-requests-done.timeout";

  /** Time the shutdown phase needs beyond the HTTP deadline to report back. */
  static final Duration REQUESTS_DONE_SLACK = Duration.ofSeconds(1);

  private NodeConfig() {}

  /**
   * Seed nodes from {@code edgeweave.node.seed-nodes} (the environment's comma-separated string)
   * replace {@code pekko.cluster.seed-nodes}; the phase that waits for requests in flight runs at
   * least as long as {@code edgeweave.node.unbind-deadline} lets them finish; with {@code
   * edgeweave.cluster.tls.keys-dir} the cluster transport runs over TLS ({@link ClusterTls}); with
   * {@code edgeweave.testing.fault-injection} Artery runs in test mode, which the blackhole route
   * ({@link FaultInjection}) needs.
   */
  static Config apply(Config config) {
    Config out = ClusterTls.apply(config);
    if (config.getBoolean(FaultInjection.FLAG)) {
      out = out.withValue(ARTERY_TEST_MODE, ConfigValueFactory.fromAnyRef(true));
    }
    List<String> seeds = parseSeedNodes(config.getString(SEED_NODES));
    if (!seeds.isEmpty()) {
      out = out.withValue(PEKKO_SEED_NODES, ConfigValueFactory.fromIterable(seeds));
    }
    Duration needed =
        config.getDuration("edgeweave.node.unbind-deadline").plus(REQUESTS_DONE_SLACK);
    Duration phase =
        config.hasPath(REQUESTS_DONE_TIMEOUT)
            ? config.getDuration(REQUESTS_DONE_TIMEOUT)
            : config.getDuration("pekko.coordinated-shutdown.default-phase-timeout");
    if (phase.compareTo(needed) < 0) {
      out =
          out.withValue(
              REQUESTS_DONE_TIMEOUT, ConfigValueFactory.fromAnyRef(needed.toMillis() + "ms"));
    }
    return out;
  }

  /** A comma-separated list of Pekko addresses; each entry must parse as one. */
  static List<String> parseSeedNodes(String list) {
    List<String> seeds = new ArrayList<>();
    for (String entry : list.split(",")) {
      String seed = entry.strip();
      if (seed.isEmpty()) {
        continue;
      }
      try {
        var address = AddressFromURIString.parse(seed);
        if (address.host().isEmpty() || address.port().isEmpty()) {
          throw new IllegalArgumentException("no host and port");
        }
        if (!address.system().equals(Node.SYSTEM_NAME)) {
          throw new IllegalArgumentException("the cluster's nodes are named " + Node.SYSTEM_NAME);
        }
      } catch (Exception e) {
        throw new IllegalArgumentException(
            SEED_NODES
                + ": '"
                + seed
                + "' is not a node address like pekko://"
                + Node.SYSTEM_NAME
                + "@host:25520 ("
                + e.getMessage()
                + ")",
            e);
      }
      seeds.add(seed);
    }
    return seeds;
  }
}
