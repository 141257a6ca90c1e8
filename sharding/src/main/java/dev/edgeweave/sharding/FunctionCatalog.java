package dev.edgeweave.sharding;

import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppManifest;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.BundleException;
import dev.edgeweave.deploy.BundledComponent;
import dev.edgeweave.deploy.ComponentManifest;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.DeployedComponent;
import dev.edgeweave.deploy.HttpTrigger;
import dev.edgeweave.deploy.OutboundHosts;
import dev.edgeweave.deploy.VariableDecl;
import dev.edgeweave.kv.KvService;
import dev.edgeweave.kv.KvSettings;
import dev.edgeweave.wasmhost.Capabilities;
import dev.edgeweave.wasmhost.ComponentSpec;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.InvalidModuleException;
import dev.edgeweave.wasmhost.OutboundHttpClient;
import dev.edgeweave.wasmhost.Variables;
import dev.edgeweave.wasmhost.WasmEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apps this node can serve and their prepared functions. Deploying compiles every component
 * first, so a module that does not load is refused before anything is stored. Deploys and removes
 * of one app (names compared ignoring case) run one at a time. A replaced release drains: it serves
 * the requests routed to it before the swap, for as long as one can still arrive, then it is
 * dropped. Prepared functions are kept for the most recently called triggers only; the others are
 * prepared again on demand.
 */
public final class FunctionCatalog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FunctionCatalog.class);

  /** Lock stripes for deploys and removes: one app name always maps to the same stripe. */
  private static final int NAME_LOCKS = 64;

  private final AppRepository repository;
  private final WasmEngine engine;
  private final FunctionSettings settings;
  private final CatalogSettings catalogSettings;
  private final KvService kv;
  private final KvSettings kvSettings;
  private final AppVariables variables;
  private final OutboundHttpClient outbound;
  private final Object[] nameLocks = new Object[NAME_LOCKS];
  private final Map<FunctionKey, Prepared> functions = new ConcurrentHashMap<>();

  /**
   * Releases replaced by a deploy, by digest, until no request routed to them can arrive any more.
   * A request the ingress routed just before the swap reaches the entity afterwards and runs on the
   * release it was routed to.
   */
  private final Map<String, Draining> draining = new ConcurrentHashMap<>();

  /** Drops drained releases on time; its thread exists only while something is draining. */
  private final ScheduledThreadPoolExecutor drainTimer;

  private record FunctionKey(String appDigest, int triggerIndex) {}

  /** A replaced release, kept while requests routed to it may still arrive. */
  private record Draining(DeployedApp app) {}

  /** A prepared function and when it was last asked for (for least-recently-used eviction). */
  private static final class Prepared {
    final GuestFunction function;
    volatile long lastUsed;

    Prepared(GuestFunction function) {
      this.function = function;
      this.lastUsed = System.nanoTime();
    }
  }

  public FunctionCatalog(AppRepository repository, WasmEngine engine, FunctionSettings settings) {
    this(repository, engine, settings, CatalogSettings.defaults());
  }

  public FunctionCatalog(
      AppRepository repository,
      WasmEngine engine,
      FunctionSettings settings,
      CatalogSettings catalogSettings) {
    this(
        repository,
        engine,
        settings,
        catalogSettings,
        null,
        null,
        new AppVariables(com.typesafe.config.ConfigFactory.empty(), System.getenv()));
  }

  /**
   * A catalog whose components reach the node's key-value stores and variables through the weave
   * ABI: each component its declared stores of its own app, and its variables.
   *
   * @param kv the node's stores ({@code ReplicatedKvService.get(system)}); null for none
   * @param kvSettings their settings (per-app limits); null when {@code kv} is
   */
  public FunctionCatalog(
      AppRepository repository,
      WasmEngine engine,
      FunctionSettings settings,
      CatalogSettings catalogSettings,
      KvService kv,
      KvSettings kvSettings,
      AppVariables variables) {
    this.kv = kv;
    this.kvSettings = kvSettings;
    this.variables = Objects.requireNonNull(variables, "variables");
    if ((kv == null) != (kvSettings == null)) {
      throw new IllegalArgumentException("kv and kvSettings go together");
    }
    this.repository = Objects.requireNonNull(repository, "repository");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.catalogSettings = Objects.requireNonNull(catalogSettings, "catalogSettings");
    this.outbound = OutboundHttpClient.create(settings.outboundConfig());
    for (int i = 0; i < NAME_LOCKS; i++) {
      nameLocks[i] = new Object();
    }
    this.drainTimer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "edgeweave-catalog-drain");
              t.setDaemon(true);
              return t;
            });
    drainTimer.setKeepAliveTime(1, TimeUnit.SECONDS);
    drainTimer.allowCoreThreadTimeOut(true);
    drainTimer.setRemoveOnCancelPolicy(true);
  }

  /** Checks, compiles, stores and activates an app; replaces an app of the same name. */
  public DeployedApp deploy(AppBundle bundle) throws DeployException {
    // Compile every trigger's module before anything is stored, so a broken release never
    // replaces a working one. Compiling needs no lock: the engine compiles once per digest.
    AppManifest manifest = bundle.manifest();
    // A required variable without a value refuses the deploy before anything is compiled.
    Map<String, String> values = variableValues(manifest.name(), manifest.variables());
    List<GuestFunction> prepared = new ArrayList<>();
    for (HttpTrigger trigger : manifest.triggers()) {
      BundledComponent component = bundle.components().get(trigger.componentId());
      ComponentManifest declared = manifest.components().get(trigger.componentId());
      try {
        prepared.add(
            engine.prepare(
                component.module(),
                spec(
                        manifest.name(),
                        trigger,
                        component.id(),
                        declared.environment(),
                        component.files())
                    .withTransientWrites(declared.allowTransientWrite())
                    .withCapabilities(
                        capabilities(manifest.name(), component.id(), declared, values))));
      } catch (InvalidModuleException e) {
        throw new DeployException("component '" + component.id() + "': " + e.getMessage(), e);
      }
    }
    synchronized (lockFor(manifest.name())) {
      for (DeployedApp other : repository.list()) {
        if (other.name().equalsIgnoreCase(manifest.name())
            && !other.name().equals(manifest.name())) {
          throw new DeployException(
              "app name '"
                  + manifest.name()
                  + "' differs only in case from the deployed app '"
                  + other.name()
                  + "'; apps are addressed by host names, which ignore case");
        }
      }
      // The release being replaced drains from before the swap, so that no garbage collection of
      // blobs in between finds it neither live nor draining.
      Optional<Draining> before = repository.get(manifest.name()).map(this::startDraining);
      DeployedApp app;
      try {
        app = repository.deploy(bundle);
      } catch (BundleException | IOException | RuntimeException e) {
        before.ifPresent(entry -> draining.remove(entry.app().digest(), entry));
        if (e instanceof BundleException) {
          throw new DeployException(e.getMessage(), e);
        } else if (e instanceof IOException) {
          throw new DeployException(
              "could not store app '" + manifest.name() + "': " + e.getMessage(), e);
        }
        throw (RuntimeException) e;
      }
      // The same content deployed again is the same release: live again, not draining.
      draining.remove(app.digest());
      for (int i = 0; i < prepared.size(); i++) {
        cache(new FunctionKey(app.digest(), i), prepared.get(i));
      }
      for (String warning : app.routes().warnings()) {
        log.warn("app '{}': {}", app.name(), warning);
      }
      return app;
    }
  }

  /**
   * Removes an app; its requests fail with "unknown app" from now on, drained or not, and the blobs
   * no other app needs are deleted.
   */
  public boolean remove(String name) throws IOException {
    boolean removed;
    synchronized (lockFor(name)) {
      Optional<DeployedApp> live = repository.get(name);
      removed = repository.remove(name);
      live.ifPresent(app -> forget(app.digest()));
      draining.values().stream()
          .filter(d -> d.app().name().equals(name))
          .toList()
          .forEach(d -> stopDraining(d));
    }
    collectGarbage();
    return removed;
  }

  public Optional<DeployedApp> app(String name) {
    return repository.get(name);
  }

  /**
   * The app a request addresses by name, in any case: host names ignore case, so {@code
   * Hello.localhost} arrives as {@code hello}. Names differing only in case are refused at deploy,
   * so the match is unique.
   */
  public Optional<DeployedApp> appAddressed(String name) {
    Optional<DeployedApp> exact = repository.get(name);
    if (exact.isPresent()) {
      return exact;
    }
    return repository.list().stream().filter(a -> a.name().equalsIgnoreCase(name)).findFirst();
  }

  public List<DeployedApp> apps() {
    return repository.list();
  }

  public FunctionSettings settings() {
    return settings;
  }

  public CatalogSettings catalogSettings() {
    return catalogSettings;
  }

  /** The limits requests of this app run under on this node. */
  public AppLimits limitsFor(String app) {
    return settings.limitsFor(app);
  }

  /**
   * The function behind one trigger of one app release, live or draining, prepared on first use
   * (after a restart, or once it was dropped as least recently used: the compile, if any, happens
   * here, on the caller's thread).
   */
  public GuestFunction function(String appName, String appDigest, int triggerIndex)
      throws UnknownFunctionException {
    FunctionKey key = new FunctionKey(appDigest, triggerIndex);
    Prepared known = functions.get(key);
    if (known != null) {
      known.lastUsed = System.nanoTime();
      return known.function;
    }
    DeployedApp app =
        release(appName, appDigest)
            .orElseThrow(
                () ->
                    new UnknownFunctionException(
                        "app '" + appName + "' release " + appDigest + " is not deployed here"));
    if (triggerIndex < 0 || triggerIndex >= app.manifest().triggers().size()) {
      throw new UnknownFunctionException("app '" + appName + "' has no trigger #" + triggerIndex);
    }
    GuestFunction function;
    try {
      function = prepare(app, triggerIndex);
    } catch (DeployException e) {
      throw new UnknownFunctionException(e.getMessage());
    }
    GuestFunction kept = cache(key, function);
    if (release(appName, appDigest).isEmpty()) {
      // Removed or drained while we prepared: do not keep what no request can reach.
      functions.remove(key);
    }
    return kept;
  }

  /** The release of {@code appName} with this digest, if live or draining. */
  private Optional<DeployedApp> release(String appName, String appDigest) {
    Optional<DeployedApp> live = repository.get(appName).filter(a -> a.digest().equals(appDigest));
    if (live.isPresent()) {
      return live;
    }
    return Optional.ofNullable(draining.get(appDigest))
        .map(Draining::app)
        .filter(a -> a.name().equals(appName));
  }

  /** Releases still draining (replaced but reachable by requests routed before the swap). */
  public List<DeployedApp> draining() {
    return draining.values().stream().map(Draining::app).toList();
  }

  /** How many prepared functions are held now. */
  public int preparedFunctions() {
    return functions.size();
  }

  /**
   * Prepares a trigger of a stored release, reading its module and files from the repository.
   *
   * @throws UncheckedIOException if a blob is missing or corrupted: the node's fault, not the app's
   */
  private GuestFunction prepare(DeployedApp app, int triggerIndex) throws DeployException {
    HttpTrigger trigger = app.manifest().triggers().get(triggerIndex);
    DeployedComponent component = app.components().get(trigger.componentId());
    if (component == null) {
      throw new DeployException(
          "trigger " + trigger.route() + ": unknown component '" + trigger.componentId() + "'");
    }
    byte[] module;
    Map<String, byte[]> files = new LinkedHashMap<>();
    try {
      module = repository.blob(component.moduleDigest());
      Map<String, byte[]> byDigest = new HashMap<>();
      for (Map.Entry<String, String> f : component.files().entrySet()) {
        byte[] content = byDigest.get(f.getValue());
        if (content == null) {
          content = repository.blob(f.getValue());
          byDigest.put(f.getValue(), content);
        }
        files.put(f.getKey(), content);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "app '" + app.name() + "' release " + app.digest() + ": " + e.getMessage(), e);
    }
    ComponentManifest declared = app.manifest().components().get(component.id());
    Map<String, String> values = variableValues(app.name(), app.manifest().variables());
    ComponentSpec spec =
        spec(app.name(), trigger, component.id(), component.environment(), files)
            .withTransientWrites(declared.allowTransientWrite())
            .withCapabilities(capabilities(app.name(), component.id(), declared, values));
    try {
      return engine.prepare(module, spec);
    } catch (InvalidModuleException e) {
      throw new DeployException("component '" + component.id() + "': " + e.getMessage(), e);
    }
  }

  /** Keeps {@code function} unless one is already kept for the key; returns the one kept. */
  private GuestFunction cache(FunctionKey key, GuestFunction function) {
    Prepared raced = functions.putIfAbsent(key, new Prepared(function));
    if (raced != null) {
      raced.lastUsed = System.nanoTime();
      return raced.function;
    }
    if (functions.size() > catalogSettings.maxPreparedFunctions()) {
      evictLeastRecentlyUsed(key);
    }
    return function;
  }

  /** Drops the least recently called functions until the bound holds, never {@code keep}. */
  private synchronized void evictLeastRecentlyUsed(FunctionKey keep) {
    while (functions.size() > catalogSettings.maxPreparedFunctions()) {
      FunctionKey oldest = null;
      long oldestUse = Long.MAX_VALUE;
      for (Map.Entry<FunctionKey, Prepared> e : functions.entrySet()) {
        long used = e.getValue().lastUsed;
        if (!e.getKey().equals(keep) && (oldest == null || used - oldestUse < 0)) {
          oldest = e.getKey();
          oldestUse = used;
        }
      }
      if (oldest == null) {
        return;
      }
      functions.remove(oldest);
    }
  }

  private Draining startDraining(DeployedApp previous) {
    Duration keep =
        settings.askTimeout(settings.limitsFor(previous.name())).plus(catalogSettings.drainGrace());
    Draining entry = new Draining(previous);
    draining.put(previous.digest(), entry);
    drainTimer.schedule(() -> drained(entry), keep.toNanos(), TimeUnit.NANOSECONDS);
    return entry;
  }

  /**
   * No request routed to this release can arrive any more: drop it, unless it is live again, and
   * the blobs only it needed.
   */
  private void drained(Draining entry) {
    DeployedApp app = entry.app();
    synchronized (lockFor(app.name())) {
      if (!draining.remove(app.digest(), entry)) {
        return;
      }
      boolean liveAgain =
          repository.get(app.name()).map(a -> a.digest().equals(app.digest())).orElse(false);
      if (!liveAgain) {
        forget(app.digest());
      }
    }
    collectGarbage();
  }

  /** Deletes the blobs neither a deployed app nor a draining release needs. */
  private void collectGarbage() {
    try {
      repository.collectGarbage(this::draining);
    } catch (IOException | RuntimeException e) {
      log.warn("could not delete unused blobs: {}", e.toString());
    }
  }

  private void stopDraining(Draining entry) {
    if (draining.remove(entry.app().digest(), entry)) {
      forget(entry.app().digest());
    }
  }

  /** Drops the prepared functions of one release. */
  private void forget(String digest) {
    functions.keySet().removeIf(key -> key.appDigest().equals(digest));
  }

  private Object lockFor(String name) {
    return nameLocks[Math.floorMod(name.toLowerCase(Locale.ROOT).hashCode(), NAME_LOCKS)];
  }

  private Map<String, String> variableValues(String app, Map<String, VariableDecl> declared)
      throws DeployException {
    try {
      return variables.resolve(app, declared);
    } catch (IllegalArgumentException e) {
      throw new DeployException("app '" + app + "': " + e.getMessage(), e);
    }
  }

  /**
   * What a component reaches through the weave ABI: its declared stores, its variables, the hosts
   * it declared under its app's outbound limits.
   */
  private Capabilities capabilities(
      String app, String componentId, ComponentManifest declared, Map<String, String> values) {
    AppLimits limits = settings.limitsFor(app);
    OutboundHosts hosts = declared.outboundHosts();
    return new Capabilities(
        new ComponentKv(
            app,
            componentId,
            Set.copyOf(declared.keyValueStores()),
            kv,
            kvSettings == null ? null : kvSettings.forApp(app).limits()),
        Variables.of(AppVariables.render(declared.variables(), values)),
        outbound.forComponent(
            componentId, hosts::allows, limits.outbound(), limits.outboundToIngress()));
  }

  private ComponentSpec spec(
      String appName,
      HttpTrigger trigger,
      String componentId,
      Map<String, String> environment,
      Map<String, byte[]> files) {
    return ComponentSpec.builder(componentId)
        .withEnvironment(environment)
        .withFiles(files)
        .withArgvTemplate(trigger.executor().argv())
        .withEntrypoint(trigger.executor().entrypoint())
        .withLimits(settings.limitsFor(appName).guestLimits())
        .build();
  }

  /**
   * Stops the drain timer and outbound HTTP; releases still draining stay until the catalog is
   * dropped.
   */
  @Override
  public void close() {
    drainTimer.shutdownNow();
    outbound.close();
  }

  /** A deploy was refused; the message says why, naming the component. */
  public static final class DeployException extends Exception {
    private static final long serialVersionUID = 1L;

    public DeployException(String message, Throwable cause) {
      super(message, cause);
    }

    public DeployException(String message) {
      super(message);
    }
  }

  /** The app, release or trigger an invocation names is not known on this node. */
  public static final class UnknownFunctionException extends Exception {
    private static final long serialVersionUID = 1L;

    public UnknownFunctionException(String message) {
      super(message);
    }
  }
}
