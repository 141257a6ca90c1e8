package dev.edgeweave.node;

import dev.edgeweave.deploy.AppManifest;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.ManifestException;
import dev.edgeweave.deploy.RouteTable;
import dev.edgeweave.deploy.SpinManifest;
import dev.edgeweave.deploy.spread.ReleaseNotice;
import dev.edgeweave.ingress.ClusterReleases;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingress's view of releases beyond this node, read from the replicated maps the {@link
 * ReleaseSpreader} keeps: each app's current release (to route a request for an app this node has
 * not installed yet) and which release each member serves.
 */
final class ClusterReleaseView implements ClusterReleases {

  private static final Logger log = LoggerFactory.getLogger(ClusterReleaseView.class);

  // Local only: the subscriber's own messages.
  sealed interface Command extends NoSerializationVerificationNeeded permits Changed, Ignored {}

  private record Changed(Map<String, ReleaseNotice> entries) implements Command {}

  private record Ignored(Object what) implements Command {}

  private final AtomicReference<Map<String, String>> readyView;
  // Lower-case app name → its current notice (removals left out).
  private volatile Map<String, ReleaseNotice> current = Map.of();
  // Release digest → the release as routing needs it; only current releases are kept.
  private final Map<String, DeployedApp> routable = new ConcurrentHashMap<>();

  ClusterReleaseView(AtomicReference<Map<String, String>> readyView) {
    this.readyView = readyView;
  }

  /** Keeps this view up to date with the replicated map of releases. */
  Behavior<Command> subscriber() {
    return Behaviors.setup(
        ctx ->
            DistributedData.<Command, LWWMap<String, ReleaseNotice>>withReplicatorMessageAdapter(
                replicator -> {
                  replicator.subscribe(
                      ReleaseSpreader.RELEASES,
                      rsp ->
                          rsp instanceof Replicator.Changed<LWWMap<String, ReleaseNotice>> c
                              ? new Changed(c.get(ReleaseSpreader.RELEASES).getEntries())
                              : new Ignored(rsp));
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          Changed.class,
                          c -> {
                            update(c.entries());
                            return Behaviors.same();
                          })
                      .onMessage(Ignored.class, i -> Behaviors.same())
                      .build();
                }));
  }

  void update(Map<String, ReleaseNotice> notices) {
    Map<String, ReleaseNotice> next = new HashMap<>();
    for (ReleaseNotice n : notices.values()) {
      if (!n.removed()) {
        next.put(n.app().toLowerCase(java.util.Locale.ROOT), n);
      }
    }
    current = Map.copyOf(next);
    routable
        .keySet()
        .removeIf(d -> next.values().stream().noneMatch(n -> n.releaseDigest().equals(d)));
  }

  @Override
  public Optional<DeployedApp> current(String app) {
    ReleaseNotice notice = current.get(app.toLowerCase(java.util.Locale.ROOT));
    if (notice == null) {
      return Optional.empty();
    }
    DeployedApp known = routable.get(notice.releaseDigest());
    if (known != null) {
      return Optional.of(known);
    }
    AppManifest manifest;
    try {
      manifest = SpinManifest.parse(notice.record().getManifestToml());
    } catch (ManifestException | RuntimeException e) {
      // The deploying node accepted it, so this is a node of another version: not routable here.
      log.warn("release {} of app '{}' cannot be routed here: {}", notice.releaseDigest(), app, e);
      return Optional.empty();
    }
    DeployedApp release =
        new DeployedApp(
            notice.app(),
            notice.releaseDigest(),
            manifest,
            RouteTable.of(manifest),
            Map.of(),
            Instant.ofEpochMilli(notice.changedAt()));
    routable.put(notice.releaseDigest(), release);
    return Optional.of(release);
  }

  @Override
  public Map<String, String> servedBy(String app) {
    Map<String, String> out = new HashMap<>();
    String suffix = " " + app;
    readyView
        .get()
        .forEach(
            (key, digest) -> {
              if (key.endsWith(suffix)) {
                out.put(key.substring(0, key.length() - suffix.length()), digest);
              }
            });
    return out;
  }
}
