package dev.edgeweave.sharding;

import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppManifest;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.BundledComponent;
import dev.edgeweave.deploy.ComponentManifest;
import dev.edgeweave.deploy.DeployRefusedException;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.DeployedComponent;
import dev.edgeweave.deploy.HttpTrigger;
import dev.edgeweave.deploy.OutboundHosts;
import dev.edgeweave.deploy.ReleaseHook;
import dev.edgeweave.deploy.Releases;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The prepared functions of the releases this node serves. Which releases those are (live, or
 * draining after a swap) is the deploy side's {@link Releases}; the catalog compiles every
 * component of a bundle before {@code Releases} stores it, so a module that does not load is
 * refused before anything is stored, and forgets the functions of a release once it is dropped.
 * Prepared functions are kept for the most recently called triggers only; the others are prepared
 * again on demand. The app methods ({@link #deploy}, {@link #remove}, {@link #apps}, ...) are
 * {@code Releases}'.
 */
public final class FunctionCatalog implements AutoCloseable {

  private final Releases releases;
  private final WasmEngine engine;
  private final FunctionSettings settings;
  private final CatalogSettings catalogSettings;
  private final KvService kv;
  private final KvSettings kvSettings;
  private final AppVariables variables;
  private final OutboundHttpClient outbound;
  private final Map<FunctionKey, Prepared> functions = new ConcurrentHashMap<>();

  private record FunctionKey(String appDigest, int triggerIndex) {}

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
    Objects.requireNonNull(repository, "repository");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.catalogSettings = Objects.requireNonNull(catalogSettings, "catalogSettings");
    this.outbound = OutboundHttpClient.create(settings.outboundConfig());
    // A replaced release drains for as long as a request routed to it may take to arrive.
    this.releases =
        new Releases(
            repository,
            app -> settings.askTimeout(settings.limitsFor(app)).plus(catalogSettings.drainGrace()));
    releases.listen(new Hook());
  }

  /** What the catalog does in the releases' lifecycle: compile first, forget when dropped. */
  private final class Hook implements ReleaseHook {
    @Override
    public Accepted check(AppBundle bundle) throws DeployRefusedException {
      List<GuestFunction> prepared;
      try {
        prepared = compile(bundle);
      } catch (DeployException e) {
        throw new DeployRefusedException(e.getMessage(), e.getCause());
      }
      return app -> {
        for (int i = 0; i < prepared.size(); i++) {
          cache(new FunctionKey(app.digest(), i), prepared.get(i));
        }
      };
    }

    @Override
    public void dropped(DeployedApp release) {
      forget(release.digest());
    }
  }

  /**
   * Checks, compiles, stores and activates an app; replaces an app of the same name, whose release
   * drains ({@link Releases#deploy}).
   */
  public DeployedApp deploy(AppBundle bundle) throws DeployException {
    try {
      return releases.deploy(bundle);
    } catch (DeployRefusedException e) {
      throw new DeployException(e.getMessage(), e.getCause());
    }
  }

  /**
   * Prepares every trigger's module of a bundle, so that a broken release never replaces a working
   * one. Compiling needs no lock: the engine compiles once per digest.
   */
  private List<GuestFunction> compile(AppBundle bundle) throws DeployException {
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
    return prepared;
  }

  /**
   * Removes an app; its requests fail with "unknown app" from now on, drained or not, and the blobs
   * no other app needs are deleted.
   */
  public boolean remove(String name) throws IOException {
    return releases.remove(name);
  }

  public Optional<DeployedApp> app(String name) {
    return releases.app(name);
  }

  /**
   * The app a request addresses by name, in any case: host names ignore case, so {@code
   * Hello.localhost} arrives as {@code hello}. Names differing only in case are refused at deploy,
   * so the match is unique.
   */
  public Optional<DeployedApp> appAddressed(String name) {
    return releases.appAddressed(name);
  }

  public List<DeployedApp> apps() {
    return releases.apps();
  }

  /** The deploy side's lifecycle of this node's releases, which this catalog delegates to. */
  public Releases releases() {
    return releases;
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
        releases
            .release(appName, appDigest)
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
    if (releases.release(appName, appDigest).isEmpty()) {
      // Removed or drained while we prepared: do not keep what no request can reach.
      functions.remove(key);
    }
    return kept;
  }

  /** Whether this node can run release {@code appDigest} of the app (live or draining). */
  public boolean holds(String appName, String appDigest) {
    return releases.release(appName, appDigest).isPresent();
  }

  /** Releases still draining (replaced but reachable by requests routed before the swap). */
  public List<DeployedApp> draining() {
    return releases.draining();
  }

  /** How many prepared functions are held now. */
  public int preparedFunctions() {
    return functions.size();
  }

  /**
   * Prepares a trigger of a stored release, reading its module and files from the store.
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
      module = releases.blob(component.moduleDigest());
      Map<String, byte[]> byDigest = new HashMap<>();
      for (Map.Entry<String, String> f : component.files().entrySet()) {
        byte[] content = byDigest.get(f.getValue());
        if (content == null) {
          content = releases.blob(f.getValue());
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

  /** Drops the prepared functions of one release. */
  private void forget(String digest) {
    functions.keySet().removeIf(key -> key.appDigest().equals(digest));
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
    releases.close();
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
