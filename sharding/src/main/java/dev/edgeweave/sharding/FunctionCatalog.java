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
import dev.edgeweave.wasmhost.ComponentSpec;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.InvalidModuleException;
import dev.edgeweave.wasmhost.WasmEngine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apps this node can serve and their prepared functions. Deploying compiles every component
 * first, so a module that does not load is refused before anything is stored; a prepared function
 * is reused by every request of that app release on this node.
 */
public final class FunctionCatalog {

  private static final Logger log = LoggerFactory.getLogger(FunctionCatalog.class);

  private final AppRepository repository;
  private final WasmEngine engine;
  private final FunctionSettings settings;
  private final Map<FunctionKey, GuestFunction> functions = new ConcurrentHashMap<>();

  /**
   * The release each app had before its latest deploy. Requests the ingress routed to it just
   * before the swap still reach the entity afterwards; they run on it instead of failing.
   */
  private final Map<String, DeployedApp> draining = new ConcurrentHashMap<>();

  private record FunctionKey(String appDigest, int triggerIndex) {}

  public FunctionCatalog(AppRepository repository, WasmEngine engine, FunctionSettings settings) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** Checks, compiles, stores and activates an app; replaces an app of the same name. */
  public DeployedApp deploy(AppBundle bundle) throws DeployException {
    // Compile every trigger's module before anything is stored, so a broken release never
    // replaces a working one.
    AppManifest manifest = bundle.manifest();
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
                    .withTransientWrites(declared.allowTransientWrite())));
      } catch (InvalidModuleException e) {
        throw new DeployException("component '" + component.id() + "': " + e.getMessage(), e);
      }
    }
    for (DeployedApp other : repository.list()) {
      if (other.name().equalsIgnoreCase(manifest.name()) && !other.name().equals(manifest.name())) {
        throw new DeployException(
            "app name '"
                + manifest.name()
                + "' differs only in case from the deployed app '"
                + other.name()
                + "'; apps are addressed by host names, which ignore case");
      }
    }
    Optional<DeployedApp> before = repository.get(manifest.name());
    DeployedApp app;
    try {
      app = repository.deploy(bundle);
    } catch (BundleException e) {
      throw new DeployException(e.getMessage(), e);
    } catch (IOException e) {
      throw new DeployException(
          "could not store app '" + manifest.name() + "': " + e.getMessage(), e);
    }
    before
        .filter(previous -> !previous.digest().equals(app.digest()))
        .ifPresent(previous -> draining.put(app.name(), previous));
    for (int i = 0; i < prepared.size(); i++) {
      functions.putIfAbsent(new FunctionKey(app.digest(), i), prepared.get(i));
    }
    forgetUndeployed();
    for (String warning : app.routes().warnings()) {
      log.warn("app '{}': {}", app.name(), warning);
    }
    return app;
  }

  /** Removes an app; its requests fail with "unknown app" from now on. */
  public boolean remove(String name) throws IOException {
    boolean removed = repository.remove(name);
    draining.remove(name);
    forgetUndeployed();
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

  /** The limits requests of this app run under on this node. */
  public AppLimits limitsFor(String app) {
    return settings.limitsFor(app);
  }

  /**
   * The function behind one trigger of one app release, prepared on first use (after a restart the
   * compile happens here, on the caller's thread).
   */
  public GuestFunction function(String appName, String appDigest, int triggerIndex)
      throws UnknownFunctionException {
    FunctionKey key = new FunctionKey(appDigest, triggerIndex);
    GuestFunction known = functions.get(key);
    if (known != null) {
      return known;
    }
    DeployedApp app =
        Stream.of(repository.get(appName), Optional.ofNullable(draining.get(appName)))
            .flatMap(Optional::stream)
            .filter(a -> a.digest().equals(appDigest))
            .findFirst()
            .orElseThrow(
                () ->
                    new UnknownFunctionException(
                        "app '" + appName + "' release " + appDigest + " is not deployed here"));
    if (triggerIndex < 0 || triggerIndex >= app.manifest().triggers().size()) {
      throw new UnknownFunctionException("app '" + appName + "' has no trigger #" + triggerIndex);
    }
    try {
      return prepare(app, triggerIndex);
    } catch (DeployException e) {
      throw new UnknownFunctionException(e.getMessage());
    }
  }

  private GuestFunction prepare(DeployedApp app, int triggerIndex) throws DeployException {
    FunctionKey key = new FunctionKey(app.digest(), triggerIndex);
    GuestFunction known = functions.get(key);
    if (known != null) {
      return known;
    }
    HttpTrigger trigger = app.manifest().triggers().get(triggerIndex);
    DeployedComponent component = app.components().get(trigger.componentId());
    if (component == null) {
      throw new DeployException(
          "trigger " + trigger.route() + ": unknown component '" + trigger.componentId() + "'");
    }
    ComponentSpec spec =
        spec(app.name(), trigger, component.id(), component.environment(), component.files())
            .withTransientWrites(
                app.manifest().components().get(component.id()).allowTransientWrite());
    try {
      GuestFunction function = engine.prepare(component.module(), spec);
      GuestFunction raced = functions.putIfAbsent(key, function);
      return raced != null ? raced : function;
    } catch (InvalidModuleException e) {
      throw new DeployException("component '" + component.id() + "': " + e.getMessage(), e);
    }
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

  /** Drops prepared functions of releases that are neither deployed nor draining. */
  private void forgetUndeployed() {
    Set<String> live =
        repository.list().stream()
            .map(DeployedApp::digest)
            .collect(Collectors.toCollection(HashSet::new));
    draining.values().forEach(previous -> live.add(previous.digest()));
    functions.keySet().removeIf(key -> !live.contains(key.appDigest()));
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
