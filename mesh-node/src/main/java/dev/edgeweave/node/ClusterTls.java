package dev.edgeweave.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.spread.PeerTls;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster transport's TLS ({@code edgeweave.cluster.tls}): with a keys directory, Artery runs
 * over TLS with mutual authentication through Pekko's PEM-based {@code
 * RotatingKeysSSLEngineProvider}, so a process without a certificate of the cluster's CA can
 * neither join nor send a message.
 */
final class ClusterTls {

  static final String KEYS_DIR = "edgeweave.cluster.tls.keys-dir";

  /** The files of a keys directory, as {@code weave keys} makes them. */
  static final String CA_CERT = PeerTls.CA_CERT;

  static final String NODE_CERT = PeerTls.NODE_CERT;
  static final String NODE_KEY = PeerTls.NODE_KEY;

  static final String TRANSPORT = "pekko.remote.artery.transport";
  static final String ENGINE_PROVIDER = "pekko.remote.artery.ssl.ssl-engine-provider";
  static final String ROTATING_KEYS_PROVIDER =
      "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider";
  static final String ENGINE = "pekko.remote.artery.ssl.rotating-keys-engine";

  private ClusterTls() {}

  /** The keys directory, if TLS is configured. */
  static Optional<Path> keysDir(Config config) {
    String dir = config.getString(KEYS_DIR).strip();
    return dir.isEmpty() ? Optional.empty() : Optional.of(Path.of(dir).toAbsolutePath());
  }

  /**
   * With a keys directory: Artery's transport becomes {@code tls-tcp} with the rotating-keys engine
   * reading the directory's PEM files, each checked to be there. Without one the config stays.
   */
  static Config apply(Config config) {
    Optional<Path> dir = keysDir(config);
    if (dir.isEmpty()) {
      return config;
    }
    List<String> missing = new ArrayList<>();
    for (String file : List.of(CA_CERT, NODE_CERT, NODE_KEY)) {
      if (!Files.isReadable(dir.get().resolve(file))) {
        missing.add(file);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          KEYS_DIR
              + ": "
              + dir.get()
              + " lacks "
              + String.join(", ", missing)
              + " (make a development cluster's keys with `weave keys DIR`)");
    }
    return ConfigFactory.parseMap(
            Map.of(
                TRANSPORT,
                "tls-tcp",
                ENGINE_PROVIDER,
                ROTATING_KEYS_PROVIDER,
                ENGINE + ".ca-cert-file",
                dir.get().resolve(CA_CERT).toString(),
                ENGINE + ".cert-file",
                dir.get().resolve(NODE_CERT).toString(),
                ENGINE + ".key-file",
                dir.get().resolve(NODE_KEY).toString()))
        .withFallback(config);
  }

  /**
   * A warning when the cluster transport is not TLS while other hosts can reach it: its canonical
   * or bind hostname is not a loopback address.
   */
  static Optional<String> plainTransportWarning(Config config) {
    if (config.getString(TRANSPORT).equals("tls-tcp")) {
      return Optional.empty();
    }
    List<String> hosts = new ArrayList<>();
    hosts.add(config.getString("pekko.remote.artery.canonical.hostname"));
    String bind = config.getString("pekko.remote.artery.bind.hostname");
    if (!bind.isEmpty()) {
      hosts.add(bind);
    }
    for (String host : hosts) {
      if (!isLoopback(host)) {
        return Optional.of(
            "the cluster transport listens on "
                + host
                + " without TLS: any process that reaches it can join the cluster and send"
                + " it messages. Set "
                + KEYS_DIR
                + " (WEAVE_CLUSTER_KEYS) to a directory of the cluster's keys (`weave keys DIR`"
                + " makes a development cluster's).");
      }
    }
    return Optional.empty();
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
