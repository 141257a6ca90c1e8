package dev.edgeweave.deploy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apps this node serves: each app's live release, and the releases replaced by a deploy that
 * still drain. Deploys and removes of one app (names compared ignoring case) run one at a time. A
 * replaced release drains: requests routed to it before the swap still find it, for as long as the
 * caller says one can still arrive, then it is dropped, and the blobs neither a live nor a draining
 * release needs are deleted. {@link ReleaseHook}s check every bundle before it is stored and hear
 * of every release dropped.
 */
public final class Releases implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Releases.class);

  /** Lock stripes for deploys and removes: one app name always maps to the same stripe. */
  private static final int NAME_LOCKS = 64;

  private final AppRepository repository;
  private final Function<String, Duration> drainTime;
  private final List<ReleaseHook> hooks = new CopyOnWriteArrayList<>();
  private final Object[] nameLocks = new Object[NAME_LOCKS];

  /**
   * Releases replaced by a deploy, by digest, until no request routed to them can arrive any more.
   * A request routed just before the swap arrives afterwards and runs on the release it was routed
   * to.
   */
  private final Map<String, Draining> draining = new ConcurrentHashMap<>();

  /** Drops drained releases on time; its thread exists only while something is draining. */
  private final ScheduledThreadPoolExecutor drainTimer;

  /** A replaced release, kept while requests routed to it may still arrive. */
  private record Draining(DeployedApp app) {}

  /**
   * @param repository where releases are stored
   * @param drainTime for an app's name, how long a release of it replaced by a deploy stays
   *     reachable: the longest a request routed to it before the swap may take to arrive
   */
  public Releases(AppRepository repository, Function<String, Duration> drainTime) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.drainTime = Objects.requireNonNull(drainTime, "drainTime");
    for (int i = 0; i < NAME_LOCKS; i++) {
      nameLocks[i] = new Object();
    }
    this.drainTimer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "edgeweave-releases-drain");
              t.setDaemon(true);
              return t;
            });
    drainTimer.setKeepAliveTime(1, TimeUnit.SECONDS);
    drainTimer.allowCoreThreadTimeOut(true);
    drainTimer.setRemoveOnCancelPolicy(true);
  }

  /** Adds a hook; it hears of the deploys and drops from now on, so add it before the first. */
  public void listen(ReleaseHook hook) {
    hooks.add(Objects.requireNonNull(hook, "hook"));
  }

  /**
   * Checks (through every hook), stores and activates an app, replacing an app of the same name,
   * whose release then drains.
   */
  public DeployedApp deploy(AppBundle bundle) throws DeployRefusedException {
    // Every hook checks before anything is stored, so a broken release never replaces a working
    // one. Checking needs no lock.
    List<ReleaseHook.Accepted> accepted = new ArrayList<>();
    for (ReleaseHook hook : hooks) {
      accepted.add(Objects.requireNonNull(hook.check(bundle), "accepted"));
    }
    String name = bundle.manifest().name();
    synchronized (lockFor(name)) {
      for (DeployedApp other : repository.list()) {
        if (other.name().equalsIgnoreCase(name) && !other.name().equals(name)) {
          throw new DeployRefusedException(
              "app name '"
                  + name
                  + "' differs only in case from the deployed app '"
                  + other.name()
                  + "'; apps are addressed by host names, which ignore case");
        }
      }
      // The release being replaced drains from before the swap, so that no garbage collection of
      // blobs in between finds it neither live nor draining.
      Optional<Draining> before = repository.get(name).map(this::startDraining);
      DeployedApp app;
      try {
        app = repository.deploy(bundle);
      } catch (BundleException | IOException | RuntimeException e) {
        before.ifPresent(entry -> draining.remove(entry.app().digest(), entry));
        if (e instanceof BundleException) {
          throw new DeployRefusedException(e.getMessage(), e);
        } else if (e instanceof IOException) {
          throw new DeployRefusedException(
              "could not store app '" + name + "': " + e.getMessage(), e);
        }
        throw (RuntimeException) e;
      }
      // The same content deployed again is the same release: live again, not draining.
      draining.remove(app.digest());
      for (ReleaseHook.Accepted a : accepted) {
        a.live(app);
      }
      for (String warning : app.routes().warnings()) {
        log.warn("app '{}': {}", app.name(), warning);
      }
      return app;
    }
  }

  /**
   * Removes an app; its releases, live or draining, are dropped at once, and the blobs no other app
   * needs are deleted.
   */
  public boolean remove(String name) throws IOException {
    boolean removed;
    synchronized (lockFor(name)) {
      Optional<DeployedApp> live = repository.get(name);
      removed = repository.remove(name);
      live.ifPresent(this::dropped);
      draining.values().stream()
          .filter(d -> d.app().name().equals(name))
          .toList()
          .forEach(this::stopDraining);
    }
    collectGarbage();
    return removed;
  }

  /** The live release of the app with exactly this name. */
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

  /** Every app's live release, by name. */
  public List<DeployedApp> apps() {
    return repository.list();
  }

  /** Releases still draining (replaced but reachable by requests routed before the swap). */
  public List<DeployedApp> draining() {
    return draining.values().stream().map(Draining::app).toList();
  }

  /** The release of {@code appName} with this digest, if live or draining. */
  public Optional<DeployedApp> release(String appName, String digest) {
    Optional<DeployedApp> live = repository.get(appName).filter(a -> a.digest().equals(digest));
    if (live.isPresent()) {
      return live;
    }
    return Optional.ofNullable(draining.get(digest))
        .map(Draining::app)
        .filter(a -> a.name().equals(appName));
  }

  /**
   * A module or file of a stored release, checked against its digest.
   *
   * @throws IOException if it is missing or corrupted
   */
  public byte[] blob(String digest) throws IOException {
    return repository.blob(digest);
  }

  private Draining startDraining(DeployedApp previous) {
    Duration keep = Objects.requireNonNull(drainTime.apply(previous.name()), "drain time");
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
        dropped(app);
      }
    }
    collectGarbage();
  }

  private void stopDraining(Draining entry) {
    if (draining.remove(entry.app().digest(), entry)) {
      dropped(entry.app());
    }
  }

  private void dropped(DeployedApp release) {
    for (ReleaseHook hook : hooks) {
      hook.dropped(release);
    }
  }

  /** Deletes the blobs neither a deployed app nor a draining release needs. */
  private void collectGarbage() {
    try {
      repository.collectGarbage(this::draining);
    } catch (IOException | RuntimeException e) {
      log.warn("could not delete unused blobs: {}", e.toString());
    }
  }

  private Object lockFor(String name) {
    return nameLocks[Math.floorMod(name.toLowerCase(Locale.ROOT).hashCode(), NAME_LOCKS)];
  }

  /** Stops the drain timer; releases still draining stay until this is dropped. */
  @Override
  public void close() {
    drainTimer.shutdownNow();
  }
}
