package dev.edgeweave.cluster;

import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.BundleException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * A cluster of real node processes started from the packaged distribution, on loopback, with ports
 * and data directories of its own. Register it as a JUnit extension ({@code @RegisterExtension
 * static final WeaveCluster cluster = WeaveCluster.named("x").location("eu", 2)...build();}): it
 * prints every node's log when a test fails and stops every process after the test class. A JVM
 * shutdown hook kills whatever is still running if the test JVM exits first.
 */
public final class WeaveCluster
    implements AutoCloseable,
        AfterAllCallback,
        TestExecutionExceptionHandler,
        LifecycleMethodExecutionExceptionHandler {

  /** Options that keep a node's JVM small: CI has two cores for the tests and every node. */
  static final List<String> NODE_JVM_OPTIONS =
      List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  /** Settings every node gets as system properties (README "Test settings"). */
  static final Map<String, String> TEST_SETTINGS =
      Map.of(
          // The resolver acts after 5 s of stable membership instead of 20 s.
          "pekko.cluster.split-brain-resolver.stable-after", "5s",
          // Tests prove every message that crosses an actor boundary is serializable.
          "pekko.actor.serialize-messages", "on",
          // Nodes share one host: each blob server takes a free port and announces it.
          "edgeweave.spread.peer-port", "0");

  /** How long a node may take from its start to answering its admin API. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  /** How long a node may take to shut down gracefully after SIGTERM. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(90);

  /** How long {@link #awaitClusterUp} waits for every node to see the same members. */
  static final Duration CLUSTER_UP_TIMEOUT = Duration.ofSeconds(90);

  /** Marks the node processes a test JVM started: {@code pid:startMillis} of that JVM. */
  static final String OWNER_PROPERTY = "edgeweave.harness.owner";

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static final String OWNER = owner(ProcessHandle.current());

  static {
    reapOrphans();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Process p : LIVE) {
                    p.destroyForcibly();
                  }
                },
                "weave-cluster-reaper"));
  }

  private final Distribution distribution;
  private final List<String> jvmOptions;
  private final Map<String, String> settings;
  private final Set<String> seedsThroughConfig;
  private final Optional<Path> tlsKeys;
  private final Map<String, Optional<Path>> nodeTlsKeys;
  private final Placement placement;
  private final Map<String, WeaveNode> nodes;
  private final List<WeaveNode> seeds;
  private final Path dataRoot;
  private final Path logbackFile;
  private final String adminToken;
  private final HttpClient http;

  private WeaveCluster(Builder b) {
    this.distribution = b.distribution != null ? b.distribution : Distribution.packaged();
    this.jvmOptions =
        b.jvmOptions != null
            ? b.jvmOptions
            : Distribution.scriptJvmOptions(Distribution.repository().resolve("weave"));
    this.settings = new LinkedHashMap<>(TEST_SETTINGS);
    this.settings.putAll(b.settings);
    this.seedsThroughConfig = Set.copyOf(b.seedsThroughConfig);
    this.tlsKeys = Optional.ofNullable(b.tlsKeys);
    this.nodeTlsKeys = Map.copyOf(b.nodeTlsKeys);
    this.placement = b.placement;
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    this.adminToken = HexFormat.of().formatHex(random);
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Traffic.CONNECT_TIMEOUT)
            .build();
    try {
      this.dataRoot = Files.createTempDirectory("edgeweave-cluster-" + b.name + "-");
      Path logs = logsRoot().resolve(b.name);
      Files.createDirectories(logs);
      this.logbackFile = dataRoot.resolve("node-logback.xml");
      try (InputStream in = WeaveCluster.class.getResourceAsStream("/node-logback.xml")) {
        Files.write(logbackFile, in.readAllBytes());
      }
      int count = b.locations.values().stream().mapToInt(Integer::intValue).sum();
      List<Integer> ports = freePorts(3 * count);
      // Artery ports ascend with the node's number, so the first node of a location has the
      // location's lowest address: the one keep-majority keeps when a location splits in two.
      List<Integer> remotePorts = new ArrayList<>(ports.subList(2 * count, 3 * count));
      Collections.sort(remotePorts);
      Map<String, WeaveNode> all = new LinkedHashMap<>();
      List<WeaveNode> firsts = new ArrayList<>();
      int i = 0;
      for (Map.Entry<String, Integer> location : b.locations.entrySet()) {
        for (int n = 1; n <= location.getValue(); n++) {
          String nodeName = location.getKey() + "-" + n;
          Path logFile = logs.resolve(nodeName + ".log");
          Files.deleteIfExists(logFile);
          WeaveNode node =
              new WeaveNode(
                  nodeName,
                  location.getKey(),
                  placement.host(nodeName),
                  ports.get(2 * i),
                  ports.get(2 * i + 1),
                  remotePorts.get(i),
                  dataRoot.resolve(nodeName),
                  logFile);
          all.put(nodeName, node);
          if (n == 1) {
            firsts.add(node);
          }
          i++;
        }
      }
      this.nodes = Collections.unmodifiableMap(all);
      this.seeds = List.copyOf(firsts);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare cluster " + b.name, e);
    }
  }

  /** A cluster named {@code name}: its logs go to {@code target/cluster-logs/<name>/}. */
  public static Builder named(String name) {
    return new Builder(name);
  }

  /**
   * Where each node runs: the address it binds and is reached at, and a command its java command
   * runs under (e.g. {@code ip netns exec <namespace>}). The default is loopback, no prefix.
   */
  public interface Placement {
    String host(String nodeName);

    List<String> commandPrefix(String nodeName);

    Placement LOOPBACK =
        new Placement() {
          @Override
          public String host(String nodeName) {
            return "127.0.0.1";
          }

          @Override
          public List<String> commandPrefix(String nodeName) {
            return List.of();
          }
        };
  }

  /** Builds a cluster: locations with their node counts, and settings for every node. */
  public static final class Builder {
    private final String name;
    private final Map<String, Integer> locations = new LinkedHashMap<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final Set<String> seedsThroughConfig = new HashSet<>();
    private final Map<String, Optional<Path>> nodeTlsKeys = new LinkedHashMap<>();
    private Path tlsKeys;
    private Distribution distribution;
    private List<String> jvmOptions;
    private Placement placement = Placement.LOOPBACK;

    private Builder(String name) {
      this.name = requireName(name);
    }

    /** A location (Pekko data center) with {@code nodes} nodes, named {@code <location>-<n>}. */
    public Builder location(String location, int nodes) {
      if (nodes < 1) {
        throw new IllegalArgumentException("a location needs at least one node");
      }
      locations.put(requireName(location), nodes);
      return this;
    }

    /** A setting every node gets, as a system property. */
    public Builder setting(String key, String value) {
      settings.put(key, value);
      return this;
    }

    /**
     * Nodes of this location get their seed nodes as {@code -Dpekko.cluster.seed-nodes.N}; the
     * others through {@code WEAVE_SEED_NODES}.
     */
    public Builder seedsThroughConfig(String location) {
      seedsThroughConfig.add(location);
      return this;
    }

    /**
     * Every node runs the cluster transport over TLS with the keys in this directory (as {@code
     * weave keys} makes them), through {@code WEAVE_CLUSTER_KEYS}.
     */
    public Builder tls(Path keysDir) {
      this.tlsKeys = keysDir;
      return this;
    }

    /** This node runs with the keys in {@code keysDir} instead, or without TLS when empty. */
    public Builder tls(String nodeName, Optional<Path> keysDir) {
      nodeTlsKeys.put(nodeName, keysDir);
      return this;
    }

    /** Runs each node where the placement says instead of on loopback. */
    public Builder placement(Placement placement) {
      this.placement = placement;
      return this;
    }

    /** Runs nodes from this distribution with these java options, not the build's and script's. */
    Builder distribution(Distribution distribution, List<String> jvmOptions) {
      distribution.verify();
      this.distribution = distribution;
      this.jvmOptions = List.copyOf(jvmOptions);
      return this;
    }

    public WeaveCluster build() {
      if (locations.isEmpty()) {
        throw new IllegalStateException("a cluster needs at least one location");
      }
      return new WeaveCluster(this);
    }

    private static String requireName(String name) {
      if (!name.matches("[a-z0-9-]+")) {
        throw new IllegalArgumentException("names are lower-case letters, digits and '-'");
      }
      return name;
    }
  }

  public List<WeaveNode> nodes() {
    return List.copyOf(nodes.values());
  }

  public WeaveNode node(String nodeName) {
    WeaveNode node = nodes.get(nodeName);
    if (node == null) {
      throw new IllegalArgumentException("no node " + nodeName + " in " + nodes.keySet());
    }
    return node;
  }

  /** The nodes of one location, first node first. */
  public List<WeaveNode> location(String location) {
    return nodes.values().stream().filter(n -> n.location().equals(location)).toList();
  }

  /** The nodes whose process runs and is not paused. */
  public List<WeaveNode> running() {
    return nodes.values().stream().filter(n -> n.isRunning() && !n.isPaused()).toList();
  }

  public String adminToken() {
    return adminToken;
  }

  // ---- processes ----

  /** Starts every node, all at once, and waits until each answers its admin API. */
  public void startAll() {
    for (WeaveNode node : nodes.values()) {
      launch(node);
    }
    for (WeaveNode node : nodes.values()) {
      awaitReady(node);
    }
  }

  /**
   * Starts every node but {@code later}, all at once, and waits until each answers its admin API;
   * the others join when a test starts them ({@link #start(WeaveNode)}), e.g. after a deploy.
   */
  public void startAllExcept(WeaveNode... later) {
    List<WeaveNode> now = new ArrayList<>(nodes.values());
    now.removeAll(List.of(later));
    for (WeaveNode node : now) {
      launch(node);
    }
    for (WeaveNode node : now) {
      awaitReady(node);
    }
  }

  /** Starts a node's process and waits until its admin API answers. */
  public void start(WeaveNode node) {
    launch(node);
    awaitReady(node);
  }

  /** Stops the node gracefully (SIGTERM) and returns its exit status once it has exited. */
  public int stop(WeaveNode node) {
    Process p = requireRunning(node);
    if (node.isPaused()) {
      resume(node);
    }
    note(node, "stopping (SIGTERM)");
    p.destroy();
    try {
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(node + " did not stop within " + STOP_TIMEOUT + " of SIGTERM");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    LIVE.remove(p);
    note(node, "exited with status " + p.exitValue());
    return p.exitValue();
  }

  /** Kills the node's process (SIGKILL): no shutdown of any kind. */
  public void kill(WeaveNode node) {
    Process p = requireRunning(node);
    note(node, "killing (SIGKILL)");
    p.destroyForcibly();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError(node + " survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    LIVE.remove(p);
  }

  /** Freezes the node's process (SIGSTOP): it holds its sockets and answers nothing. */
  public void pause(WeaveNode node) {
    requireRunning(node);
    note(node, "pausing (SIGSTOP)");
    signal(node, "-STOP");
    node.paused(true);
  }

  /** Lets a paused node run again (SIGCONT). */
  public void resume(WeaveNode node) {
    requireRunning(node);
    signal(node, "-CONT");
    node.paused(false);
    note(node, "resumed (SIGCONT)");
  }

  /** Stops the node gracefully if it runs, then starts it on the same ports and data dir. */
  public void restart(WeaveNode node) {
    if (node.isRunning()) {
      stop(node);
    }
    start(node);
  }

  /** Waits for a process that is expected to exit by itself; returns its exit status. */
  public int awaitExit(WeaveNode node, Duration timeout) {
    Process p = node.process();
    if (p == null) {
      throw new IllegalStateException(node + " was never started");
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(node + " still runs after " + timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    LIVE.remove(p);
    note(node, "exited by itself with status " + p.exitValue());
    return p.exitValue();
  }

  private void launch(WeaveNode node) {
    if (node.isRunning()) {
      throw new IllegalStateException(node + " already runs (pid " + node.pid() + ")");
    }
    List<String> command = new ArrayList<>(placement.commandPrefix(node.name()));
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(NODE_JVM_OPTIONS);
    command.add("-Dlogback.configurationFile=" + logbackFile);
    command.add("-D" + OWNER_PROPERTY + "=" + OWNER);
    for (Map.Entry<String, String> s : settings.entrySet()) {
      command.add("-D" + s.getKey() + "=" + s.getValue());
    }
    boolean configSeeds = seedsThroughConfig.contains(node.location());
    if (configSeeds) {
      for (int i = 0; i < seeds.size(); i++) {
        command.add("-Dpekko.cluster.seed-nodes." + i + "=" + seeds.get(i).address());
      }
    }
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(distribution.jar().toString());
    command.addAll(
        List.of(
            "up",
            "--port",
            Integer.toString(node.httpPort()),
            "--admin-port",
            Integer.toString(node.adminPort()),
            "--data",
            node.dataDir().toString()));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("WEAVE_") || k.equals("JAVA_OPTS"));
    env.remove("JAVA_TOOL_OPTIONS");
    env.put("WEAVE_ADMIN_TOKEN", adminToken);
    env.put("WEAVE_LOCATION", node.location());
    env.put("WEAVE_HOST", node.host());
    env.put("WEAVE_ADMIN_HOST", node.host());
    env.put("WEAVE_REMOTE_HOST", node.host());
    env.put("WEAVE_REMOTE_PORT", Integer.toString(node.remotePort()));
    nodeTlsKeys
        .getOrDefault(node.name(), tlsKeys)
        .ifPresent(keys -> env.put("WEAVE_CLUSTER_KEYS", keys.toString()));
    if (!configSeeds) {
      env.put(
          "WEAVE_SEED_NODES", String.join(",", seeds.stream().map(WeaveNode::address).toList()));
    }
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(node.logFile().toFile()));
    note(node, "starting: " + String.join(" ", command));
    try {
      Process p = pb.start();
      LIVE.add(p);
      node.process(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + node, e);
    }
  }

  private void awaitReady(WeaveNode node) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Process p = node.process();
      if (!p.isAlive()) {
        LIVE.remove(p);
        throw new AssertionError(
            node + " exited with status " + p.exitValue() + " while starting:\n" + tail(node, 40));
      }
      if (adminAnswers(node)) {
        note(node, "ready, pid " + p.pid());
        return;
      }
      sleep(Duration.ofMillis(200));
    }
    throw new AssertionError(node + " did not answer its admin API within " + START_TIMEOUT);
  }

  private boolean adminAnswers(WeaveNode node) {
    try {
      HttpRequest request = admin(node, "/v1/status", Duration.ofSeconds(5)).GET().build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void signal(WeaveNode node, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", signal, Long.toString(node.pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " " + node.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Process requireRunning(WeaveNode node) {
    Process p = node.process();
    if (p == null || !p.isAlive()) {
      throw new IllegalStateException(node + " is not running");
    }
    return p;
  }

  // ---- the nodes' APIs ----

  /** The node's {@code GET /v1/status}. */
  public NodeStatus status(WeaveNode node) {
    try {
      HttpResponse<String> response =
          http.send(
              admin(node, "/v1/status", Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new AssertionError(
            node + " status: " + response.statusCode() + " " + response.body());
      }
      return NodeStatus.parse(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(node + " status: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A GET on the node's admin API: status and body. */
  public Response adminGet(WeaveNode node, String path) {
    try {
      HttpResponse<String> response =
          http.send(
              admin(node, path, Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(node + " " + path + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The node's {@code GET /v1/apps/<app>}: status and JSON body. */
  public Response app(WeaveNode node, String app) {
    try {
      HttpResponse<String> response =
          http.send(
              admin(node, "/v1/apps/" + app, Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(node + " app " + app + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The node's status, or empty when its admin API does not answer. */
  public Optional<NodeStatus> statusIfAnswering(WeaveNode node) {
    try {
      return Optional.of(status(node));
    } catch (UncheckedIOException | AssertionError e) {
      return Optional.empty();
    }
  }

  /**
   * Waits until every running node sees exactly {@code members} members, all Up and reachable;
   * returns what each node reported.
   */
  public Map<WeaveNode, NodeStatus> awaitClusterUp(int members) {
    long deadline = System.nanoTime() + CLUSTER_UP_TIMEOUT.toNanos();
    Map<WeaveNode, NodeStatus> seen = new LinkedHashMap<>();
    while (System.nanoTime() < deadline) {
      seen.clear();
      boolean up = true;
      for (WeaveNode node : running()) {
        Optional<NodeStatus> status = statusIfAnswering(node);
        if (status.isEmpty() || !status.get().allUp(members)) {
          up = false;
        }
        status.ifPresent(s -> seen.put(node, s));
      }
      if (up && seen.size() == running().size()) {
        return seen;
      }
      sleep(Duration.ofMillis(250));
    }
    throw new AssertionError(
        "the cluster did not reach "
            + members
            + " members up within "
            + CLUSTER_UP_TIMEOUT
            + "; last seen: "
            + seen);
  }

  /**
   * Deploys an app directory through the node's admin API (zipped as {@code weave deploy} does).
   */
  public String deploy(WeaveNode node, Path appDir) {
    try {
      HttpResponse<String> response =
          http.send(
              admin(node, "/v1/apps", Duration.ofMinutes(3))
                  .header("Content-Type", "application/zip")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(AppBundle.zipDirectory(appDir)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 201) {
        throw new AssertionError(
            "deploy of "
                + appDir
                + " to "
                + node
                + ": "
                + response.statusCode()
                + " "
                + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException("deploy of " + appDir + " to " + node, e);
    } catch (BundleException e) {
      throw new IllegalArgumentException("cannot bundle " + appDir + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code POST /v1/apps/<app>/rollback} at the node's admin API: status and body. */
  public Response rollback(WeaveNode node, String app) {
    try {
      HttpResponse<String> response =
          http.send(
              admin(node, "/v1/apps/" + app + "/rollback", Duration.ofMinutes(3))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("rollback of " + app + " at " + node, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Where the node keeps the blob (module, file or release record) with this sha256. */
  public static Path blobFile(WeaveNode node, String digest) {
    // The node's app store lives in <data-dir>/apps (see mesh-node's Node).
    return node.dataDir().resolve("apps").resolve("blobs").resolve("sha256").resolve(digest);
  }

  /**
   * Flips every byte of the node's copy of a blob on disk, keeping its size: the node's blob server
   * then sends its peers bytes that do not hash to the digest they asked for.
   */
  public void corruptBlob(WeaveNode node, String digest) {
    Path file = blobFile(node, digest);
    try {
      byte[] bytes = Files.readAllBytes(file);
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) ~bytes[i];
      }
      Files.write(file, bytes);
      note(node, "corrupted blob " + digest + " on disk");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot corrupt " + file, e);
    }
  }

  /** Removes an app through the node's admin API. */
  public void remove(WeaveNode node, String app) {
    try {
      HttpResponse<String> response =
          http.send(
              admin(node, "/v1/apps/" + app, Duration.ofMinutes(1)).DELETE().build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 204) {
        throw new AssertionError(
            "removal of "
                + app
                + " at "
                + node
                + ": "
                + response.statusCode()
                + " "
                + response.body());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("removal of " + app + " at " + node, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Deploys an app directory to every running node, each deploy made by an operator of that node (a
   * deploy to one node also spreads to the others by itself).
   */
  public void deployEverywhere(Path appDir) {
    List<Thread> threads = new ArrayList<>();
    Map<WeaveNode, Throwable> failures = new ConcurrentHashMap<>();
    for (WeaveNode node : running()) {
      Thread t =
          new Thread(
              () -> {
                try {
                  deploy(node, appDir);
                } catch (Throwable e) {
                  failures.put(node, e);
                }
              },
              "deploy-" + node);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    if (!failures.isEmpty()) {
      AssertionError error = new AssertionError("deploy of " + appDir + " failed: " + failures);
      failures.values().forEach(error::addSuppressed);
      throw error;
    }
  }

  /** A GET on the node's public port, with this Host header. */
  public Response get(WeaveNode node, String host, String path) throws IOException {
    return get(http, node, host, path, Duration.ofSeconds(30));
  }

  static Response get(HttpClient client, WeaveNode node, String host, String path, Duration timeout)
      throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + node.host() + ":" + node.httpPort() + path))
            .header("Host", host)
            .timeout(timeout)
            .GET()
            .build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** An HTTP answer: status and body. */
  public record Response(int status, String body) {}

  private HttpRequest.Builder admin(WeaveNode node, String path, Duration timeout) {
    return HttpRequest.newBuilder(
            URI.create("http://" + node.host() + ":" + node.adminPort() + path))
        .header("Authorization", "Bearer " + adminToken)
        .timeout(timeout);
  }

  // ---- waiting ----

  /** Polls {@code condition} until it holds; fails naming {@code what} after {@code timeout}. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      sleep(Duration.ofMillis(200));
    }
  }

  public static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---- logs ----

  /** The last {@code lines} lines of the node's log. */
  public String tail(WeaveNode node, int lines) {
    try {
      if (!Files.exists(node.logFile())) {
        return "(no log)";
      }
      List<String> all = Files.readAllLines(node.logFile(), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + node.logFile() + ": " + e.getMessage() + ")";
    }
  }

  /** How many lines of the node's log contain {@code text}. */
  public long logLines(WeaveNode node, String text) {
    try (Stream<String> lines = Files.lines(node.logFile(), StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains(text)).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The lines of the node's log that contain {@code text}. */
  public List<String> logLinesWith(WeaveNode node, String text) {
    try (Stream<String> lines = Files.lines(node.logFile(), StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains(text)).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a line of the harness's own into the node's log, so its log reads as a story. */
  public void note(WeaveNode node, String what) {
    try {
      Files.writeString(
          node.logFile(),
          "---- harness " + LocalTime.now() + " " + node + ": " + what + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void printLogs() {
    StringBuilder out = new StringBuilder();
    for (WeaveNode node : nodes.values()) {
      out.append("\n==== ")
          .append(node)
          .append(" (")
          .append(node.logFile())
          .append("), last 80 lines ====\n")
          .append(tail(node, 80))
          .append('\n');
    }
    System.err.println(out);
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable throwable)
      throws Throwable {
    printLogs();
    throw throwable;
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable)
      throws Throwable {
    printLogs();
    throw throwable;
  }

  @Override
  public void handleBeforeEachMethodExecutionException(
      ExtensionContext context, Throwable throwable) throws Throwable {
    printLogs();
    throw throwable;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  /** Kills every node still running, waits for them to exit and deletes their data. */
  @Override
  public void close() {
    List<Process> running = new ArrayList<>();
    for (WeaveNode node : nodes.values()) {
      Process p = node.process();
      if (p != null && p.isAlive()) {
        note(node, "killed at the end of the tests");
        p.destroyForcibly();
        running.add(p);
      }
    }
    for (Process p : running) {
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("node process " + p.pid() + " survived SIGKILL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      LIVE.remove(p);
    }
    deleteRecursively(dataRoot);
  }

  // ---- housekeeping ----

  static Path logsRoot() {
    String logs = System.getProperty("edgeweave.cluster-logs");
    return Path.of(logs != null && !logs.isEmpty() ? logs : "target/cluster-logs");
  }

  private static String owner(ProcessHandle process) {
    return process.pid()
        + ":"
        + process.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
  }

  /**
   * Kills node processes whose test JVM died without stopping them (killed itself, so no hook ran):
   * each carries its owner's pid and start time.
   */
  private static void reapOrphans() {
    String marker = "-D" + OWNER_PROPERTY + "=";
    ProcessHandle.allProcesses()
        .forEach(
            p -> {
              Optional<String[]> args = p.info().arguments();
              if (args.isEmpty()) {
                return;
              }
              for (String arg : args.get()) {
                if (arg.startsWith(marker)) {
                  String owner = arg.substring(marker.length());
                  long ownerPid = Long.parseLong(owner.substring(0, owner.indexOf(':')));
                  boolean ownerAlive =
                      ProcessHandle.of(ownerPid).map(h -> owner(h).equals(owner)).orElse(false);
                  if (!ownerAlive) {
                    p.destroyForcibly();
                  }
                }
              }
            });
  }

  /**
   * Ports free on loopback now, below the usual ephemeral range so that the kernel does not hand
   * them to some outgoing connection while a node is down between a kill and its restart.
   */
  private static List<Integer> freePorts(int count) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      InetAddress loopback = InetAddress.getLoopbackAddress();
      int attempts = 0;
      while (held.size() < count) {
        if (++attempts > 10_000) {
          throw new IOException("found only " + held.size() + " free ports of " + count);
        }
        int port = ThreadLocalRandom.current().nextInt(20_000, 32_000);
        try {
          held.add(new ServerSocket(port, 1, loopback));
        } catch (IOException taken) {
          // Someone has it; try another.
        }
      }
      return held.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
