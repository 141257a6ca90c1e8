package dev.edgeweave.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.BundleLimits;
import dev.edgeweave.deploy.DeployedApp;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** The {@code weave} command line: run a node with apps, and manage apps on a running node. */
public final class Weave {

  static final String USAGE =
      """
      usage: weave <command> [options]

        up [APP_DIR...]        start a node serving these apps (like `spin up`); a directory
                               without spin.toml stands for each subdirectory that has one
            --port N           public HTTP port (default 8080)
            --admin-port N     admin API port (default 8081)
            --data DIR         data directory (default .weave/data)
        deploy APP_DIR         upload an app to a running node
        apps                   list the apps of a running node, each with how far its release
                               has spread ("ready on 3/4 nodes, 2/2 locations")
        app NAME               show one app: routes, and which node serves which release
        rollback NAME          return the app to its previous release, on every node
        rm NAME                remove an app (from every node)
        kv get APP KEY         print a value of the app's store (bytes as stored)
        kv set APP KEY VALUE   set a value (or --file F: the file's bytes)
        kv delete APP KEY      delete a key (no error when it is missing)
        kv list APP            print every key, one a line
        kv export APP          print every key and value (base64) as JSON
            --store LABEL      the app's store (default: default)
            --to URL           admin API of the node (default http://127.0.0.1:8081)
            --token TOKEN      admin token (default: $WEAVE_ADMIN_TOKEN, else DIR/admin-token)
            --data DIR         where to find the admin token (default: $WEAVE_DATA_DIR,
                               else .weave/data)
        keys DIR               make a development cluster's TLS keys in DIR: a new CA and a
                               node certificate it signed (ca.crt, tls.crt, tls.key); give
                               every node the directory (WEAVE_CLUSTER_KEYS=DIR) and the
                               cluster transport runs over TLS with mutual authentication
            --force            replace the keys DIR already holds
      """;

  /** Options that take no value. */
  static final Set<String> FLAGS = Set.of("--force");

  /** A deploy compiles every module on the node before it answers. */
  static final Duration ADMIN_REQUEST_TIMEOUT = Duration.ofMinutes(3);

  private Weave() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
      out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    Map<String, String> options = new HashMap<>();
    List<String> positional = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (FLAGS.contains(args[i])) {
        options.put(args[i].substring(2), "true");
      } else if (args[i].startsWith("--")) {
        if (i + 1 >= args.length) {
          err.println("weave: option " + args[i] + " needs a value");
          return 2;
        }
        options.put(args[i].substring(2), args[++i]);
      } else {
        positional.add(args[i]);
      }
    }
    try {
      return switch (args[0]) {
        case "up" -> up(positional, options, out);
        case "deploy" -> deploy(one(positional, "APP_DIR"), options, out, err);
        case "apps" -> admin("GET", "/v1/apps", null, options, out, err);
        case "app" -> admin("GET", "/v1/apps/" + one(positional, "NAME"), null, options, out, err);
        case "rollback" ->
            admin(
                "POST",
                "/v1/apps/" + one(positional, "NAME") + "/rollback",
                null,
                options,
                out,
                err);
        case "rm" ->
            admin("DELETE", "/v1/apps/" + one(positional, "NAME"), null, options, out, err);
        case "kv" -> WeaveKv.run(positional, options, out, err);
        case "keys" -> keys(one(positional, "DIR"), options, out);
        default -> {
          err.println("weave: unknown command '" + args[0] + "'");
          err.print(USAGE);
          yield 2;
        }
      };
    } catch (IllegalArgumentException e) {
      err.println("weave: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      err.println("weave: " + e.getMessage());
      return 1;
    }
  }

  private static int keys(String dir, Map<String, String> options, PrintStream out)
      throws IOException {
    Path keys = Path.of(dir);
    WeaveKeys.make(keys, options.containsKey("force"));
    out.println(
        "made a development cluster's keys in "
            + keys
            + " (ca.crt, tls.crt, tls.key); start every node with WEAVE_CLUSTER_KEYS="
            + keys.toAbsolutePath());
    return 0;
  }

  private static int up(List<String> dirs, Map<String, String> options, PrintStream out)
      throws Exception {
    List<Path> apps = new ArrayList<>();
    for (String dir : dirs) {
      apps.addAll(appDirs(Path.of(dir)));
    }
    Node node =
        Node.start(
            ConfigFactory.parseMap(Map.of("pekko.coordinated-shutdown.exit-jvm", "on"))
                .withFallback(upConfig(options)));
    for (Path dir : apps) {
      DeployedApp app = node.deployDirectory(dir);
      out.println("deployed " + app.name() + " from " + dir);
    }
    for (DeployedApp app : node.catalog().apps()) {
      for (var trigger : app.manifest().triggers()) {
        out.printf(
            "  %-12s http://%s.localhost:%d%s   (or http://127.0.0.1:%d/%s%s)%n",
            app.name(),
            app.name(),
            node.publicPort(),
            trigger.route(),
            node.publicPort(),
            app.name(),
            trigger.route());
      }
    }
    out.println(
        "serving on port "
            + node.publicPort()
            + ", admin API on "
            + node.adminPort()
            + " (token in "
            + node.dataDir().resolve("admin-token")
            + "); Ctrl-C stops");
    node.awaitTermination();
    return 0;
  }

  /**
   * The settings `weave up` gives its node on top of the config files: the ports and data directory
   * of its options, nothing else (public error bodies stay without details, as everywhere).
   */
  static Config upConfig(Map<String, String> options) {
    Map<String, Object> overrides = new HashMap<>();
    if (options.containsKey("port")) {
      overrides.put("edgeweave.ingress.port", Integer.parseInt(options.get("port")));
    }
    if (options.containsKey("admin-port")) {
      overrides.put("edgeweave.admin.port", Integer.parseInt(options.get("admin-port")));
    }
    if (options.containsKey("data")) {
      overrides.put("edgeweave.node.data-dir", options.get("data"));
    }
    return ConfigFactory.parseMap(overrides);
  }

  /** An app directory, or each subdirectory holding a spin.toml. */
  static List<Path> appDirs(Path dir) throws IOException {
    if (Files.exists(dir.resolve("spin.toml"))) {
      return List.of(dir);
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " is not a directory");
    }
    try (Stream<Path> children = Files.list(dir)) {
      List<Path> apps =
          children.filter(c -> Files.exists(c.resolve("spin.toml"))).sorted().toList();
      if (apps.isEmpty()) {
        throw new IllegalArgumentException(dir + " holds no spin.toml, nor do its subdirectories");
      }
      return apps;
    }
  }

  private static int deploy(
      String dir, Map<String, String> options, PrintStream out, PrintStream err) throws Exception {
    // Like the node, never upload its data directory (the admin token) when it is in the app.
    byte[] zip =
        AppBundle.fromDirectory(Path.of(dir), BundleLimits.defaults(), List.of(dataDir(options)))
            .toZip();
    return admin("POST", "/v1/apps", zip, options, out, err);
  }

  private static int admin(
      String method,
      String path,
      byte[] body,
      Map<String, String> options,
      PrintStream out,
      PrintStream err)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(adminUrl(options) + path))
            .timeout(ADMIN_REQUEST_TIMEOUT)
            .header("Authorization", "Bearer " + token(options))
            // Lines for people where the API offers them (apps, app, rollback); JSON otherwise.
            .header("Accept", "text/plain, */*;q=0.5");
    if (body != null) {
      request.header("Content-Type", "application/zip");
      request.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    boolean ok = response.statusCode() / 100 == 2;
    (ok ? out : err)
        .println(response.body().isEmpty() ? response.statusCode() + "" : response.body().strip());
    return ok ? 0 : 1;
  }

  static String adminUrl(Map<String, String> options) {
    return options.getOrDefault("to", "http://127.0.0.1:8081");
  }

  static String token(Map<String, String> options) throws IOException {
    if (options.containsKey("token")) {
      return options.get("token");
    }
    String env = System.getenv("WEAVE_ADMIN_TOKEN");
    if (env != null && !env.isEmpty()) {
      return env;
    }
    Path file = dataDir(options).resolve("admin-token");
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(
          "no admin token: pass --token, set WEAVE_ADMIN_TOKEN, or run next to the node's " + file);
    }
    return Files.readString(file, StandardCharsets.UTF_8).trim();
  }

  /** The data directory of the node the options name: --data, else the configured one. */
  private static Path dataDir(Map<String, String> options) {
    return Path.of(
        options.getOrDefault("data", ConfigFactory.load().getString("edgeweave.node.data-dir")));
  }

  private static String one(List<String> positional, String what) {
    if (positional.size() != 1) {
      throw new IllegalArgumentException("expected one " + what + ", got " + positional);
    }
    return positional.get(0);
  }
}
