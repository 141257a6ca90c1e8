package dev.edgeweave.sharding;

import com.typesafe.config.Config;
import dev.edgeweave.deploy.BundleLimits;
import dev.edgeweave.wasmhost.EngineConfig;
import dev.edgeweave.wasmhost.OutboundConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Settings of function execution, read from {@code edgeweave.function}, {@code .limits}, {@code
 * .apps}.
 */
public final class FunctionSettings {

  private final int slotsPerApp;
  private final SchedulerSettings scheduler;
  private final Duration askTimeoutMargin;
  private final EngineConfig engineConfig;
  private final BundleLimits bundleLimits;
  private final AppLimits defaultLimits;
  private final Config limitsConfig;
  private final Map<String, AppLimits> perApp = new ConcurrentHashMap<>();
  private final OutboundConfig outboundConfig;

  private FunctionSettings(Config root) {
    Config edgeweave = root.getConfig("edgeweave");
    Config function = edgeweave.getConfig("function");
    this.slotsPerApp = function.getInt("slots-per-app");
    if (slotsPerApp < 1) {
      throw new IllegalArgumentException(
          "edgeweave.function.slots-per-app must be >= 1: " + slotsPerApp);
    }
    this.askTimeoutMargin = function.getDuration("ask-timeout-margin");
    Config engine = edgeweave.getConfig("engine");
    this.engineConfig =
        EngineConfig.builder()
            .withCompileCacheSize(engine.getInt("compile-cache-size"))
            .withCompileCacheMaxBytes(engine.getBytes("compile-cache-max-bytes"))
            .withMemoryPoolSize(engine.getInt("memory-pool-size"))
            .withMemoryPoolMaxBytes(engine.getBytes("memory-pool-max-bytes"))
            .withMemoryPoolIdleTimeout(engine.getDuration("memory-pool-idle-timeout"))
            .withWatchdogInterval(engine.getDuration("watchdog-interval"))
            .withMaxStderrBytes(
                (int) Math.min(Integer.MAX_VALUE, engine.getBytes("max-stderr-bytes")))
            .withGuestStackSize(engine.getBytes("guest-stack-size"))
            .build();
    this.scheduler =
        SchedulerSettings.fromConfig(
            function.getConfig("scheduler"), engineConfig.guestStackSize());
    Config bundle = edgeweave.getConfig("deploy.bundle");
    this.bundleLimits =
        new BundleLimits(
            bundle.getInt("max-entries"),
            bundle.getBytes("max-total-bytes"),
            bundle.getBytes("max-file-bytes"));
    this.outboundConfig = outboundConfig(root);
    this.limitsConfig = edgeweave.getConfig("limits");
    this.defaultLimits = AppLimits.fromConfig(limitsConfig);
    long maxMessage = edgeweave.getBytes("serialization.kryo.max-buffer-size");
    checkFits(defaultLimits, "edgeweave.limits", maxMessage);
    // Resolve every override now, so a bad one fails the node at start, not a request later.
    Config apps = edgeweave.getConfig("apps");
    for (String app : apps.root().keySet()) {
      Config override = apps.getConfig("\"" + app + "\"");
      if (override.hasPath("limits")) {
        AppLimits limits;
        try {
          limits = AppLimits.fromConfig(override.getConfig("limits").withFallback(limitsConfig));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "edgeweave.apps.\"" + app + "\".limits: " + e.getMessage(), e);
        }
        checkFits(limits, "edgeweave.apps.\"" + app + "\".limits", maxMessage);
        perApp.put(app, limits);
      }
    }
  }

  /** Room a message needs besides the body: URL, route, headers of the reply, framing. */
  static final long MESSAGE_OVERHEAD_BYTES = 64 * 1024;

  /** A request or response that passes the limits must also fit one invocation message. */
  private static void checkFits(AppLimits limits, String path, long maxMessage) {
    long request = limits.maxBodyBytes() + limits.maxHeaderBytes() + MESSAGE_OVERHEAD_BYTES;
    long response = limits.maxStdoutBytes() + MESSAGE_OVERHEAD_BYTES;
    if (Math.max(request, response) > maxMessage) {
      throw new IllegalArgumentException(
          path
              + ": max-body-bytes + max-header-bytes and max-stdout-bytes must each stay "
              + MESSAGE_OVERHEAD_BYTES
              + " bytes below edgeweave.serialization.kryo.max-buffer-size ("
              + maxMessage
              + "), since an invocation carries them whole");
    }
  }

  public static FunctionSettings fromConfig(Config root) {
    return new FunctionSettings(root);
  }

  /**
   * The node's outbound HTTP: {@code edgeweave.outbound}, and the node's own ports as configured
   * (those of modules this one does not see are read when present): the admin API, the peer blob
   * server and the cluster transport refused to guests, the public port unless an app may call it.
   */
  private static OutboundConfig outboundConfig(Config root) {
    Config outbound = root.getConfig("edgeweave.outbound");
    Map<Integer, String> nodePorts = new HashMap<>();
    nodePort(root, "edgeweave.admin.port", "admin API", nodePorts);
    nodePort(root, "edgeweave.spread.peer-port", "peer blob server", nodePorts);
    nodePort(root, "pekko.remote.artery.canonical.port", "cluster transport", nodePorts);
    nodePort(root, "pekko.remote.artery.bind.port", "cluster transport", nodePorts);
    int ingress =
        root.hasPath("edgeweave.ingress.port") ? root.getInt("edgeweave.ingress.port") : -1;
    return new OutboundConfig(
        outbound.getInt("max-concurrent-requests"),
        outbound.getDuration("connect-timeout"),
        nodePorts,
        ingress > 0 ? ingress : -1);
  }

  private static void nodePort(Config root, String path, String what, Map<Integer, String> into) {
    // Port 0 (any free port) names no port here. Artery's bind port may be "" (the canonical one).
    if (root.hasPath(path) && !root.getString(path).isEmpty()) {
      int port = root.getInt(path);
      if (port > 0) {
        into.putIfAbsent(port, what);
      }
    }
  }

  /** The node's outbound HTTP for guests ({@code edgeweave.outbound} and the node's ports). */
  public OutboundConfig outboundConfig() {
    return outboundConfig;
  }

  /** The limits of one app: its overrides, falling back to the node's defaults. */
  public AppLimits limitsFor(String app) {
    return perApp.getOrDefault(app, defaultLimits);
  }

  /** How long the ingress waits for an entity's reply. */
  public Duration askTimeout(AppLimits limits) {
    return limits.wallTime().plus(askTimeoutMargin);
  }

  public int slotsPerApp() {
    return slotsPerApp;
  }

  /** How the node's {@link GuestScheduler} runs guests ({@code edgeweave.function.scheduler}). */
  public SchedulerSettings scheduler() {
    return scheduler;
  }

  /** The node's Wasm engine settings ({@code edgeweave.engine}). */
  public EngineConfig engineConfig() {
    return engineConfig;
  }

  /** What an app bundle may hold ({@code edgeweave.deploy.bundle}). */
  public BundleLimits bundleLimits() {
    return bundleLimits;
  }

  public AppLimits defaultLimits() {
    return defaultLimits;
  }
}
