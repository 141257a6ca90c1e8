package dev.edgeweave.faults;

import dev.edgeweave.cluster.NodeStatus;
import dev.edgeweave.cluster.WeaveCluster;
import dev.edgeweave.cluster.WeaveNode;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.BundleException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A docker compose cluster started by its user ({@code docker compose up}), reached on the ports it
 * publishes on 127.0.0.1. Configured by system properties:
 *
 * <ul>
 *   <li>{@code faults.compose.project} — the compose project (containers are found by their {@code
 *       com.docker.compose.project} and {@code .service} labels, so compose v1 and v2 names both
 *       work);
 *   <li>{@code faults.compose.nodes} — the services clients call, {@code
 *       service=location:httpPort:adminPort,...} (default {@value #DEFAULT_NODES}, the repository's
 *       docker-compose.yml);
 *   <li>{@code faults.compose.services} — every node service, {@code service=location,...} (default
 *       {@value #DEFAULT_SERVICES}); the cluster has that many members;
 *   <li>{@code faults.compose.network} — the network a cut-off node is disconnected from (default
 *       {@code <project>_default});
 *   <li>the admin token from {@code WEAVE_ADMIN_TOKEN} (or {@code faults.compose.token}).
 * </ul>
 *
 * Nodes are listed by their peers as {@code pekko://edgeweave@<service>:25520} (the compose file's
 * {@code WEAVE_REMOTE_HOST}).
 */
final class ComposeMesh implements Mesh {

  static final String DEFAULT_NODES =
      "eu-1=eu:8180:8181,eu-2=eu:8182:8183,us-1=us:8190:8191,us-2=us:8192:8193";
  static final String DEFAULT_SERVICES = "eu-1=eu,eu-2=eu,us-1=us,us-2=us";
  static final Duration TIMEOUT = Duration.ofSeconds(90);

  final String project;
  final String network;
  private final String token;
  private final List<WeaveNode> nodes = new ArrayList<>();
  private final Map<String, WeaveNode> services = new LinkedHashMap<>();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  ComposeMesh() {
    project = required("faults.compose.project");
    network = System.getProperty("faults.compose.network", project + "_default");
    String t = System.getProperty("faults.compose.token", System.getenv("WEAVE_ADMIN_TOKEN"));
    if (t == null || t.isEmpty()) {
      throw new IllegalStateException("set WEAVE_ADMIN_TOKEN to the compose cluster's admin token");
    }
    token = t;
    Map<String, String[]> published = new LinkedHashMap<>();
    for (String spec : System.getProperty("faults.compose.nodes", DEFAULT_NODES).split(",")) {
      String[] kv = spec.trim().split("=");
      published.put(kv[0], kv[1].split(":"));
    }
    for (String spec : System.getProperty("faults.compose.services", DEFAULT_SERVICES).split(",")) {
      String[] kv = spec.trim().split("=");
      String service = kv[0];
      String[] p = published.get(service);
      String address = "pekko://edgeweave@" + service + ":25520";
      WeaveNode node =
          p != null
              ? WeaveNode.external(
                  service,
                  kv[1],
                  "127.0.0.1",
                  Integer.parseInt(p[1]),
                  Integer.parseInt(p[2]),
                  address)
              : WeaveNode.external(service, kv[1], "127.0.0.1", 0, 0, address);
      services.put(service, node);
      if (p != null) {
        nodes.add(node);
      }
    }
    if (nodes.isEmpty()) {
      throw new IllegalStateException("no published node in faults.compose.nodes");
    }
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isEmpty()) {
      throw new IllegalStateException("set -D" + property);
    }
    return value;
  }

  /** Any service of the cluster, published or not (faults reach every container). */
  WeaveNode service(String name) {
    WeaveNode node = services.get(name);
    if (node == null) {
      throw new IllegalArgumentException("no service " + name + " in " + services.keySet());
    }
    return node;
  }

  /** The container of a service, running or not. */
  String container(WeaveNode node) {
    Docker.Result r =
        Docker.run(
            "ps",
            "-aq",
            "--filter",
            "label=com.docker.compose.project=" + project,
            "--filter",
            "label=com.docker.compose.service=" + node.name());
    String id = r.output().trim();
    if (r.exit() != 0 || id.isEmpty() || id.contains("\n")) {
      throw new IllegalStateException(
          "no single container for service " + node.name() + " of " + project + ": " + r);
    }
    return id;
  }

  /** Whether the service's container runs and is not paused. */
  boolean live(WeaveNode node) {
    Docker.Result r =
        Docker.run("inspect", "-f", "{{.State.Running}} {{.State.Paused}}", container(node));
    return r.exit() == 0 && r.output().trim().equals("true false");
  }

  @Override
  public List<WeaveNode> nodes() {
    return List.copyOf(nodes);
  }

  @Override
  public List<WeaveNode> running() {
    return nodes.stream().filter(this::live).toList();
  }

  @Override
  public int members() {
    return services.size();
  }

  @Override
  public Map<WeaveNode, NodeStatus> awaitClusterUp() {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    Map<WeaveNode, NodeStatus> seen = new LinkedHashMap<>();
    while (System.nanoTime() < deadline) {
      seen.clear();
      for (WeaveNode node : nodes) {
        status(node).ifPresent(s -> seen.put(node, s));
      }
      if (seen.size() == nodes.size() && seen.values().stream().allMatch(s -> s.allUp(members()))) {
        return seen;
      }
      WeaveCluster.sleep(Duration.ofMillis(500));
    }
    throw new AssertionError("the compose cluster did not come up within " + TIMEOUT + ": " + seen);
  }

  Optional<NodeStatus> status(WeaveNode node) {
    try {
      WeaveCluster.Response r = adminGet(node, "/v1/status");
      return r.status() == 200 ? Optional.of(NodeStatus.parse(r.body())) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public String deploy(WeaveNode node, Path appDir) {
    try {
      HttpResponse<String> response =
          http.send(
              admin(node, "/v1/apps")
                  .header("Content-Type", "application/zip")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(AppBundle.zipDirectory(appDir)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 201) {
        throw new AssertionError(
            "deploy to " + node + ": " + response.statusCode() + " " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException("deploy to " + node, e);
    } catch (BundleException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void deployEverywhere(Path appDir) {
    for (WeaveNode node : nodes) {
      deploy(node, appDir);
    }
  }

  @Override
  public WeaveCluster.Response app(WeaveNode node, String app) {
    try {
      return adminGet(node, "/v1/apps/" + app);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public WeaveCluster.Response adminGet(WeaveNode node, String path) throws IOException {
    return send(admin(node, path).GET().build());
  }

  @Override
  public WeaveCluster.Response get(WeaveNode node, String host, String path) throws IOException {
    return send(
        HttpRequest.newBuilder(URI.create("http://" + node.host() + ":" + node.httpPort() + path))
            .header("Host", host)
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build());
  }

  @Override
  public void note(WeaveNode node, String what) {
    System.out.println("---- faults " + node + ": " + what);
  }

  private HttpRequest.Builder admin(WeaveNode node, String path) {
    return HttpRequest.newBuilder(
            URI.create("http://" + node.host() + ":" + node.adminPort() + path))
        .header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(30));
  }

  private WeaveCluster.Response send(HttpRequest request) throws IOException {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new WeaveCluster.Response(r.statusCode(), r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
