package dev.edgeweave.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.BundleException;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.FunctionCatalog;
import dev.edgeweave.sharding.FunctionSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running Edgeweave node: the actor system, its ports, and the apps it serves. */
public final class Node implements AutoCloseable {

  /** Name of every node's actor system; nodes of one cluster share it. */
  public static final String SYSTEM_NAME = "edgeweave";

  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final ActorSystem<Void> system;
  private final Guardian.Started started;
  private final Path dataDir;

  private Node(ActorSystem<Void> system, Guardian.Started started, Path dataDir) {
    this.system = system;
    this.started = started;
    this.dataDir = dataDir;
  }

  /** Starts a node from {@code overrides} on top of application.conf and reference.conf. */
  public static Node start(Config overrides) {
    Config config = NodeConfig.apply(overrides.withFallback(ConfigFactory.load()).resolve());
    ClusterTls.plainTransportWarning(config).ifPresent(log::warn);
    ClusterTls.keysDir(config)
        .ifPresent(
            keys ->
                log.info("cluster transport: TLS with mutual authentication, keys from {}", keys));
    Path dataDir = Path.of(config.getString("edgeweave.node.data-dir")).toAbsolutePath();
    String kvDir = "edgeweave.kv.durable.dir";
    if (config.getString(kvDir).equals(ConfigFactory.defaultReference().getString(kvDir))) {
      // Unless configured elsewhere, the key-value store's files live in the node's data dir.
      config =
          ConfigFactory.parseMap(Map.of(kvDir, dataDir.resolve("kv").toString()))
              .withFallback(config);
    }
    String token = adminToken(config, dataDir);
    AppRepository repository;
    try {
      repository =
          AppRepository.open(
              dataDir.resolve("apps"),
              FunctionSettings.fromConfig(config).bundleLimits(),
              (int)
                  Math.min(
                      Integer.MAX_VALUE, config.getBytes("edgeweave.spread.max-record-bytes")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the app store in " + dataDir, e);
    }
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    ActorSystem<Void> system =
        ActorSystem.create(Guardian.create(repository, token, started), SYSTEM_NAME, config);
    Duration bindTimeout = config.getDuration("edgeweave.node.bind-timeout");
    try {
      return new Node(system, started.get(bindTimeout.toMillis(), TimeUnit.MILLISECONDS), dataDir);
    } catch (ExecutionException | TimeoutException e) {
      system.terminate();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException("node failed to start: " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      system.terminate();
      throw new IllegalStateException("interrupted while starting", e);
    }
  }

  /**
   * Deploys the app in a directory (its spin.toml and the files it names), never including this
   * node's data directory, should it be inside the app's. In a cluster the release spreads to every
   * node, as a deploy through the admin API does, unless the cluster already has the app: then this
   * node follows the cluster's release.
   */
  public DeployedApp deployDirectory(Path dir)
      throws BundleException, FunctionCatalog.DeployException {
    DeployedApp app =
        started
            .catalog()
            .deploy(
                AppBundle.fromDirectory(
                    dir, started.catalog().settings().bundleLimits(), List.of(dataDir)));
    started.releaseLog().deployedFromDirectory(app);
    return app;
  }

  public int publicPort() {
    return started.publicAddress().getPort();
  }

  public int adminPort() {
    return started.adminAddress().getPort();
  }

  public String adminToken() {
    return started.adminToken();
  }

  public FunctionCatalog catalog() {
    return started.catalog();
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Blocks until the node has stopped (after {@link #close()} or a shutdown signal). */
  public void awaitTermination() {
    system.getWhenTerminated().toCompletableFuture().join();
  }

  @Override
  public void close() {
    system.terminate();
    try {
      Duration timeout = system.settings().config().getDuration("edgeweave.node.stop-timeout");
      system
          .getWhenTerminated()
          .toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("node did not stop in time", e);
    }
  }

  /** The configured token, else the one in the data dir, else a new one written there. */
  static String adminToken(Config config, Path dataDir) {
    String configured = config.getString("edgeweave.admin.token");
    if (!configured.isEmpty()) {
      return configured;
    }
    Path file = dataDir.resolve("admin-token");
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      Files.createDirectories(dataDir);
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String token = HexFormat.of().formatHex(random);
      Path tmp = Files.createTempFile(dataDir, "admin-token", ".tmp");
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: the data dir's own permissions protect the token.
      }
      Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return token;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the admin token in " + dataDir, e);
    }
  }
}
