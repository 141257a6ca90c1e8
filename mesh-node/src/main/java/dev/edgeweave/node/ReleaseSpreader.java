package dev.edgeweave.node;

import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.internal.proto.ReleaseRecord;
import dev.edgeweave.deploy.spread.BlobFetcher;
import dev.edgeweave.deploy.spread.BlobPeerServer;
import dev.edgeweave.deploy.spread.BlobUploads;
import dev.edgeweave.deploy.spread.FetchOrder;
import dev.edgeweave.deploy.spread.PulledBlobs;
import dev.edgeweave.deploy.spread.Readiness;
import dev.edgeweave.deploy.spread.ReleaseLog;
import dev.edgeweave.deploy.spread.ReleaseNotice;
import dev.edgeweave.deploy.spread.Rollback;
import dev.edgeweave.sharding.FunctionCatalog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads releases: publishes each deploy and removal made on this node into a replicated map (app
 * name → {@link ReleaseNotice}), and brings this node to what the map says — pulling the blobs it
 * lacks from its peers, installing and compiling the release through the catalog, removing removed
 * apps. A rollback asked of this node installs the previous release here, then publishes it like a
 * deploy. One install at a time, off the actor's thread; what fails is tried again later.
 */
final class ReleaseSpreader {

  /** App name → its current release or removal. */
  static final Key<LWWMap<String, ReleaseNotice>> RELEASES = LWWMapKey.create("edgeweave-releases");

  /** Member address → "&lt;location&gt; &lt;blob server URI&gt;". */
  static final Key<LWWMap<String, String>> PEERS = LWWMapKey.create("edgeweave-blob-peers");

  /** "&lt;member address&gt; &lt;app&gt;" → the release digest that member serves ("" for none). */
  static final Key<LWWMap<String, String>> READY = LWWMapKey.create("edgeweave-ready-releases");

  private static final Logger log = LoggerFactory.getLogger(ReleaseSpreader.class);

  // Local only: none of these leaves the node.
  sealed interface Command extends NoSerializationVerificationNeeded
      permits Deployed,
          Removed,
          ReleasesChanged,
          PeersChanged,
          Tick,
          Done,
          Ignored,
          MarkReady,
          ReadyChanged,
          RollbackRequested,
          RollbackInstalled,
          DirectoryDeployed,
          SelfIsUp,
          ClusterRead {}

  /** An operator deployed this release here. */
  record Deployed(DeployedApp app) implements Command {}

  /** An operator removed this app here. */
  record Removed(String app) implements Command {}

  /** This node deployed the release from an app directory at its start ({@code weave up DIR}). */
  record DirectoryDeployed(DeployedApp app) implements Command {}

  private enum SelfIsUp implements Command {
    INSTANCE
  }

  /** What a majority of nodes knew of the releases (empty if they did not answer in time). */
  private record ClusterRead(Optional<Map<String, ReleaseNotice>> entries) implements Command {}

  /** An operator asked this node to return the app to its previous release. */
  record RollbackRequested(String app, CompletableFuture<Rollback> result) implements Command {}

  private record RollbackInstalled(
      RollbackRequested request,
      String from,
      Optional<Long> localChangeBefore,
      Optional<ReleaseNotice> installed,
      Optional<String> error)
      implements Command {}

  private record ReleasesChanged(Map<String, ReleaseNotice> entries) implements Command {}

  /** The blob servers of the cluster changed (from the peer directory child). */
  record PeersChanged(Map<String, String> entries) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record Done(String app, String target, Optional<String> error) implements Command {}

  private record Ignored(Object what) implements Command {}

  /** This node now serves {@code digest} of the app ("" for none). */
  private record MarkReady(String app, String digest) implements Command {}

  private record ReadyChanged(Map<String, String> entries) implements Command {}

  /** A {@link ReleaseLog} that tells the spreader. */
  static ReleaseLog logTo(
      ActorRef<Command> spreader,
      ActorSystem<?> system,
      AtomicReference<Map<String, String>> readyView,
      AtomicReference<Map<String, ReleaseNotice>> noticesView,
      Optional<BlobPeerServer> blobServer) {
    return new ReleaseLog() {
      @Override
      public Optional<BlobUploads> blobUploads() {
        return blobServer.map(BlobPeerServer::uploads);
      }

      @Override
      public Optional<Readiness> readiness(String app, String servedHere) {
        ReleaseNotice notice = noticesView.get().get(app);
        String release = notice != null && !notice.removed() ? notice.releaseDigest() : servedHere;
        Map<String, String> ready = readyView.get();
        List<Readiness.Member> members = new ArrayList<>();
        for (Member m : Cluster.get(system).state().getMembers()) {
          if (m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()) {
            String address = m.address().toString();
            members.add(
                new Readiness.Member(
                    address, m.dataCenter(), ready.getOrDefault(address + " " + app, "")));
          }
        }
        return Optional.of(Readiness.of(release, members));
      }

      @Override
      public CompletionStage<Rollback> rollback(String app) {
        CompletableFuture<Rollback> result = new CompletableFuture<>();
        spreader.tell(new RollbackRequested(app, result));
        return result;
      }

      @Override
      public Map<String, String> rollout(String app) {
        Set<String> members = new HashSet<>();
        Cluster.get(system).state().getMembers().forEach(m -> members.add(m.address().toString()));
        Map<String, String> out = new TreeMap<>();
        readyView
            .get()
            .forEach(
                (key, digest) -> {
                  int space = key.lastIndexOf(' ');
                  String member = key.substring(0, space);
                  if (key.substring(space + 1).equals(app)
                      && members.contains(member)
                      && !digest.isEmpty()) {
                    out.put(member, digest);
                  }
                });
        return out;
      }

      @Override
      public void deployed(DeployedApp app) {
        spreader.tell(new Deployed(app));
      }

      @Override
      public void removed(String app) {
        spreader.tell(new Removed(app));
      }

      @Override
      public void deployedFromDirectory(DeployedApp app) {
        spreader.tell(new DirectoryDeployed(app));
      }
    };
  }

  static Behavior<Command> create(
      FunctionCatalog catalog,
      AppRepository repository,
      SpreadSettings settings,
      Optional<URI> selfBlobServer,
      AtomicReference<Map<String, String>> readyView,
      AtomicReference<Map<String, ReleaseNotice>> noticesView,
      PulledBlobs pulled) {
    return Behaviors.setup(
        ctx -> {
          // The directory of blob servers is a child: an actor has one adapter per replicator
          // response class, so each replicated map gets its own actor.
          ctx.spawn(peerDirectory(ctx.getSelf(), selfBlobServer), "blob-peers");
          ActorRef<Command> ready = ctx.spawn(readiness(readyView, settings), "ready-releases");
          return DistributedData
              .<Command, LWWMap<String, ReleaseNotice>>withReplicatorMessageAdapter(
                  releases ->
                      Behaviors.withTimers(
                          timers -> {
                            timers.startTimerWithFixedDelay(
                                Tick.INSTANCE, settings.retryInterval());
                            return new ReleaseSpreader(
                                    ctx,
                                    catalog,
                                    repository,
                                    settings,
                                    releases,
                                    ready,
                                    noticesView,
                                    pulled)
                                .start();
                          }));
        });
  }

  /** Announces this node's blob server and tells {@code spreader} of every peer's. */
  private static Behavior<Command> peerDirectory(
      ActorRef<Command> spreader, Optional<URI> selfBlobServer) {
    return Behaviors.setup(
        ctx ->
            DistributedData.<Command, LWWMap<String, String>>withReplicatorMessageAdapter(
                peers -> {
                  peers.subscribe(
                      PEERS,
                      rsp ->
                          rsp instanceof Replicator.Changed<LWWMap<String, String>> c
                              ? new PeersChanged(c.get(PEERS).getEntries())
                              : new Ignored(rsp));
                  SelfUniqueAddress self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
                  Cluster cluster = Cluster.get(ctx.getSystem());
                  String selfKey = cluster.selfMember().address().toString();
                  String location = cluster.selfMember().dataCenter();
                  selfBlobServer.ifPresentOrElse(
                      uri ->
                          peers.askUpdate(
                              replyTo ->
                                  new Replicator.Update<>(
                                      PEERS,
                                      LWWMap.create(),
                                      Replicator.writeLocal(),
                                      replyTo,
                                      map -> map.put(self, selfKey, location + " " + uri)),
                              Ignored::new),
                      () ->
                          log.warn(
                              "edgeweave.spread.secret is empty and the cluster has no TLS keys:"
                                  + " this node serves no blobs to its peers and pulls none; it"
                                  + " installs only releases whose blobs it holds"));
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          PeersChanged.class,
                          c -> {
                            spreader.tell(c);
                            return Behaviors.same();
                          })
                      .onMessage(Ignored.class, i -> Behaviors.same())
                      .build();
                }));
  }

  /** Publishes this node's ready releases and keeps the view of every member's. */
  private static Behavior<Command> readiness(
      AtomicReference<Map<String, String>> readyView, SpreadSettings settings) {
    return Behaviors.setup(
        ctx ->
            DistributedData.<Command, LWWMap<String, String>>withReplicatorMessageAdapter(
                ready -> {
                  ready.subscribe(
                      READY,
                      rsp ->
                          rsp instanceof Replicator.Changed<LWWMap<String, String>> c
                              ? new ReadyChanged(c.get(READY).getEntries())
                              : new Ignored(rsp));
                  SelfUniqueAddress self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
                  String selfKey = Cluster.get(ctx.getSystem()).selfMember().address().toString();
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          MarkReady.class,
                          m -> {
                            ready.askUpdate(
                                replyTo ->
                                    new Replicator.Update<>(
                                        READY,
                                        LWWMap.create(),
                                        settings.noticeWrite(),
                                        replyTo,
                                        map -> map.put(self, selfKey + " " + m.app(), m.digest())),
                                Ignored::new);
                            return Behaviors.same();
                          })
                      .onMessage(
                          ReadyChanged.class,
                          c -> {
                            readyView.set(Map.copyOf(c.entries()));
                            return Behaviors.same();
                          })
                      .onMessage(Ignored.class, i -> Behaviors.same())
                      .build();
                }));
  }

  private final ActorContext<Command> ctx;
  private final FunctionCatalog catalog;
  private final AppRepository repository;
  private final SpreadSettings settings;
  private final ReplicatorMessageAdapter<Command, LWWMap<String, ReleaseNotice>> releases;
  private final ActorRef<Command> ready;
  private final AtomicReference<Map<String, ReleaseNotice>> noticesView;
  // Rollbacks asked while an install ran; each waits for the worker.
  private final Deque<RollbackRequested> pendingRollbacks = new ArrayDeque<>();
  // Directory deploys waiting until this node has read what the cluster already has.
  private final List<DeployedApp> pendingDirectoryDeploys = new ArrayList<>();
  private boolean clusterRead;
  // What this node last published as ready, per app.
  private final Map<String, String> markedReady = new HashMap<>();
  private final SelfUniqueAddress self;
  private final String selfKey;
  private final String location;
  private final BlobFetcher fetcher;
  private final PulledBlobs pulled;
  private final Random random = new Random();
  private final ExecutorService worker;

  private Map<String, ReleaseNotice> notices = Map.of();
  private Map<String, String> peerEndpoints = Map.of();
  // When this node's operator last changed each app: older notices are not applied over it.
  private final Map<String, Long> localChanges = new HashMap<>();
  private boolean busy;

  private ReleaseSpreader(
      ActorContext<Command> ctx,
      FunctionCatalog catalog,
      AppRepository repository,
      SpreadSettings settings,
      ReplicatorMessageAdapter<Command, LWWMap<String, ReleaseNotice>> releases,
      ActorRef<Command> ready,
      AtomicReference<Map<String, ReleaseNotice>> noticesView,
      PulledBlobs pulled) {
    this.ctx = ctx;
    this.pulled = pulled;
    this.ready = ready;
    this.noticesView = noticesView;
    this.catalog = catalog;
    this.repository = repository;
    this.settings = settings;
    this.releases = releases;
    this.self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    Cluster cluster = Cluster.get(ctx.getSystem());
    this.selfKey = cluster.selfMember().address().toString();
    this.location = cluster.selfMember().dataCenter();
    this.fetcher =
        new BlobFetcher(
            settings.secret(),
            settings.tls(),
            settings.fetchTimeout(),
            settings.chunkBytes(),
            settings.busyRetry(),
            settings.busyWait());
    this.worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "edgeweave-release-install");
              t.setDaemon(true);
              return t;
            });
  }

  private Behavior<Command> start() {
    Cluster.get(ctx.getSystem())
        .subscriptions()
        .tell(
            Subscribe.create(
                ctx.messageAdapter(SelfUp.class, up -> SelfIsUp.INSTANCE), SelfUp.class));
    releases.subscribe(
        RELEASES,
        rsp ->
            rsp instanceof Replicator.Changed<LWWMap<String, ReleaseNotice>> c
                ? new ReleasesChanged(c.get(RELEASES).getEntries())
                : new Ignored(rsp));
    return Behaviors.receive(Command.class)
        .onMessage(Deployed.class, this::onDeployed)
        .onMessage(Removed.class, this::onRemoved)
        .onMessage(ReleasesChanged.class, this::onReleases)
        .onMessage(PeersChanged.class, this::onPeers)
        .onMessage(Tick.class, t -> reconcile())
        .onMessage(Done.class, this::onDone)
        .onMessage(RollbackRequested.class, this::onRollback)
        .onMessage(DirectoryDeployed.class, this::onDirectoryDeployed)
        .onMessage(SelfIsUp.class, u -> readCluster())
        .onMessage(ClusterRead.class, this::onClusterRead)
        .onMessage(RollbackInstalled.class, this::onRollbackInstalled)
        .onMessage(Ignored.class, i -> Behaviors.same())
        .onSignal(
            PostStop.class,
            s -> {
              worker.shutdownNow();
              pendingRollbacks.forEach(
                  r -> r.result().complete(new Rollback.Failed("the node is stopping")));
              return Behaviors.same();
            })
        .build();
  }

  private Behavior<Command> onDeployed(Deployed d) {
    DeployedApp app = d.app();
    ReleaseNotice current = notices.get(app.name());
    if (current != null && !current.removed() && current.releaseDigest().equals(app.digest())) {
      return Behaviors.same(); // The cluster already has this release.
    }
    // What a rollback returns to: the release the cluster had, else the one this node replaced.
    String previous =
        current == null
            ? repository.previous(app.name()).orElse("")
            : current.removed() ? "" : current.releaseDigest();
    byte[] record;
    try {
      record = repository.blob(app.digest());
    } catch (IOException e) {
      log.error("cannot spread app '{}': its release record is unreadable: {}", app.name(), e);
      return Behaviors.same();
    }
    publish(ReleaseNotice.release(app.name(), record, now(app.name()), selfKey, previous, false));
    return Behaviors.same();
  }

  private Behavior<Command> onDirectoryDeployed(DirectoryDeployed d) {
    pendingDirectoryDeploys.add(d.app());
    return clusterRead ? publishDirectoryDeploys(notices) : Behaviors.same();
  }

  /** Once this node is Up, asks a majority of nodes which releases they know. */
  private Behavior<Command> readCluster() {
    releases.askGet(
        replyTo ->
            new Replicator.Get<>(
                RELEASES, new Replicator.ReadMajority(settings.clusterReadTimeout()), replyTo),
        rsp ->
            new ClusterRead(
                rsp instanceof Replicator.GetSuccess<LWWMap<String, ReleaseNotice>> ok
                    ? Optional.of(ok.get(RELEASES).getEntries())
                    : rsp instanceof Replicator.NotFound<?>
                        ? Optional.of(Map.of())
                        : Optional.empty()));
    return Behaviors.same();
  }

  private Behavior<Command> onClusterRead(ClusterRead r) {
    clusterRead = true;
    if (r.entries().isEmpty()) {
      log.warn(
          "a majority of nodes did not say within {} which releases they know; apps from this"
              + " node's directories are published unless gossip brought them already",
          settings.clusterReadTimeout());
    }
    Map<String, ReleaseNotice> known = new HashMap<>(r.entries().orElse(Map.of()));
    known.putAll(notices);
    return publishDirectoryDeploys(known);
  }

  /**
   * A directory's app spreads when the cluster does not know the app yet; otherwise the node
   * follows the cluster's release (or removal), so a node restarted with an old directory rolls
   * nothing back.
   */
  private Behavior<Command> publishDirectoryDeploys(Map<String, ReleaseNotice> known) {
    for (DeployedApp app : pendingDirectoryDeploys) {
      ReleaseNotice notice = known.get(app.name());
      if (notice == null) {
        onDeployed(new Deployed(app));
      } else if (notice.removed() || !notice.releaseDigest().equals(app.digest())) {
        log.warn(
            "app '{}' from this node's directory is release {}, but the cluster has {}: this node"
                + " follows the cluster (weave deploy changes an app everywhere)",
            app.name(),
            app.digest(),
            notice.removed() ? "removed it" : "release " + notice.releaseDigest());
      }
    }
    pendingDirectoryDeploys.clear();
    return reconcile();
  }

  private Behavior<Command> onRollback(RollbackRequested r) {
    if (busy) {
      pendingRollbacks.add(r);
      return Behaviors.same();
    }
    return startRollback(r);
  }

  /** Installs the app's previous release here; publishes it once it serves (or says why not). */
  private Behavior<Command> startRollback(RollbackRequested r) {
    String app = r.app();
    ReleaseNotice current = notices.get(app);
    Optional<DeployedApp> here = catalog.app(app);
    if ((current != null && current.removed()) || (current == null && here.isEmpty())) {
      r.result().complete(new Rollback.NoSuchApp(app));
      return next();
    }
    String from;
    String target;
    if (current == null) {
      // No notice since every node restarted: the release this node replaced, if it kept one.
      from = here.get().digest();
      target = repository.previous(app).orElse("");
    } else if (current.rolledBack()) {
      r.result()
          .complete(
              new Rollback.NothingToRollBack(
                  "app '"
                      + app
                      + "' was already rolled back to release "
                      + current.releaseDigest()
                      + "; deploy a new release before rolling back again"));
      return next();
    } else {
      from = current.releaseDigest();
      target = current.previousDigest();
    }
    if (target.isEmpty()) {
      r.result()
          .complete(
              new Rollback.NothingToRollBack(
                  "app '" + app + "' has no previous release to return to"));
      return next();
    }
    Optional<Long> before = Optional.ofNullable(localChanges.get(app));
    // Marks the change as this node's, so the notice being replaced is not installed meanwhile.
    long at = now(app);
    FetchOrder order =
        FetchOrder.of(
            peerEndpoints, selfKey, location, current == null ? "" : current.origin(), random);
    long maxFile = catalog.settings().bundleLimits().maxFileBytes();
    busy = true;
    log.info("rolling app '{}' back from release {} to {}", app, from, target);
    ctx.pipeToSelf(
        CompletableFuture.supplyAsync(
            () -> {
              try {
                byte[] record;
                try {
                  record = repository.blob(target);
                } catch (IOException notHere) {
                  record = fetcher.fetch(target, order.peers(), order.lastResort(), maxFile);
                }
                ReleaseNotice notice = ReleaseNotice.release(app, record, at, selfKey, "", true);
                install(notice, order);
                return notice;
              } catch (RuntimeException e) {
                throw e;
              } catch (Exception e) {
                throw new CompletionException(e);
              }
            },
            worker),
        (notice, error) ->
            new RollbackInstalled(
                r,
                from,
                before,
                Optional.ofNullable(notice),
                Optional.ofNullable(error)
                    .map(e -> e.getCause() != null ? e.getCause().toString() : e.toString())));
    return Behaviors.same();
  }

  private Behavior<Command> onRollbackInstalled(RollbackInstalled done) {
    busy = false;
    String app = done.request().app();
    ReleaseNotice current = notices.get(app);
    Optional<String> error = done.error();
    if (error.isEmpty()
        && current != null
        && current.changedAt() > done.installed().orElseThrow().changedAt()) {
      error = Optional.of("app '" + app + "' changed elsewhere while it was rolled back here");
    }
    if (error.isPresent()) {
      done.localChangeBefore()
          .ifPresentOrElse(t -> localChanges.put(app, t), () -> localChanges.remove(app));
      log.warn("rollback of app '{}' failed: {}", app, error.get());
      done.request().result().complete(new Rollback.Failed(error.get()));
      return next();
    }
    publish(done.installed().orElseThrow());
    done.request()
        .result()
        .complete(
            catalog
                .app(app)
                .<Rollback>map(a -> new Rollback.RolledBack(a, done.from()))
                .orElseGet(() -> new Rollback.Failed("app '" + app + "' was removed meanwhile")));
    return next();
  }

  /** A rollback waiting for the worker goes first, then whatever the map asks. */
  private Behavior<Command> next() {
    RollbackRequested waiting = pendingRollbacks.poll();
    return waiting != null ? startRollback(waiting) : reconcile();
  }

  private Behavior<Command> onRemoved(Removed r) {
    publish(ReleaseNotice.removal(r.app(), now(r.app()), selfKey));
    return Behaviors.same();
  }

  /** A time after every change this node knows of the app, so the notice wins. */
  private long now(String app) {
    long after =
        Optional.ofNullable(notices.get(app)).map(n -> n.changedAt() + 1).orElse(Long.MIN_VALUE);
    long at = Math.max(System.currentTimeMillis(), after);
    localChanges.put(app, at);
    return at;
  }

  private void publish(ReleaseNotice notice) {
    log.info(
        "spreading {} of app '{}'",
        notice.removed() ? "the removal" : "release " + notice.releaseDigest(),
        notice.app());
    releases.askUpdate(
        replyTo ->
            new Replicator.Update<>(
                RELEASES,
                LWWMap.create(),
                settings.noticeWrite(),
                replyTo,
                map -> map.put(self, notice.app(), notice, NoticeClock.INSTANCE)),
        Ignored::new);
    // Read your own writes: the replicator tells subscribers of a change only on its next
    // notification tick, and a rollback asked here before then must already see this notice.
    ReleaseNotice known = notices.get(notice.app());
    if (known == null || known.changedAt() <= notice.changedAt()) {
      Map<String, ReleaseNotice> updated = new HashMap<>(notices);
      updated.put(notice.app(), notice);
      notices = updated;
      noticesView.set(Map.copyOf(notices));
    }
  }

  private Behavior<Command> onReleases(ReleasesChanged c) {
    notices = c.entries();
    noticesView.set(Map.copyOf(notices));
    return reconcile();
  }

  private Behavior<Command> onPeers(PeersChanged c) {
    peerEndpoints = c.entries();
    return reconcile();
  }

  private Behavior<Command> onDone(Done d) {
    busy = false;
    d.error()
        .ifPresentOrElse(
            e ->
                log.warn(
                    "app '{}' ({}) not installed yet, trying again in {}: {}",
                    d.app(),
                    d.target(),
                    settings.retryInterval(),
                    e),
            () -> log.info("app '{}' is ready here: {}", d.app(), d.target()));
    // A failure is tried again on the next tick, not at once; a waiting rollback goes now.
    if (d.error().isPresent() && pendingRollbacks.isEmpty()) {
      return Behaviors.same();
    }
    return next();
  }

  /** Starts the next piece of work the map asks of this node, if none runs. */
  private Behavior<Command> reconcile() {
    if (busy) {
      return Behaviors.same();
    }
    for (ReleaseNotice notice : new TreeMap<>(notices).values()) {
      if (notice.changedAt() < localChanges.getOrDefault(notice.app(), Long.MIN_VALUE)) {
        continue;
      }
      Optional<DeployedApp> here = catalog.app(notice.app());
      String serving = here.map(DeployedApp::digest).orElse("");
      if (!serving.equals(markedReady.getOrDefault(notice.app(), ""))) {
        markedReady.put(notice.app(), serving);
        ready.tell(new MarkReady(notice.app(), serving));
      }
      if (notice.removed()) {
        if (here.isPresent()) {
          run(notice.app(), "removed", () -> catalog.remove(notice.app()));
          return Behaviors.same();
        }
      } else if (here.map(a -> !a.digest().equals(notice.releaseDigest())).orElse(true)) {
        FetchOrder order = FetchOrder.of(peerEndpoints, selfKey, location, notice.origin(), random);
        run(notice.app(), "release " + notice.releaseDigest(), () -> install(notice, order));
        return Behaviors.same();
      }
    }
    return Behaviors.same();
  }

  private interface Job {
    void run() throws Exception;
  }

  private void run(String app, String target, Job job) {
    busy = true;
    ctx.pipeToSelf(
        CompletableFuture.runAsync(
            () -> {
              try {
                job.run();
              } catch (RuntimeException e) {
                throw e;
              } catch (Exception e) {
                throw new CompletionException(e);
              }
            },
            worker),
        (ok, error) ->
            new Done(
                app,
                target,
                Optional.ofNullable(error)
                    .map(e -> e.getCause() != null ? e.getCause().toString() : e.toString())));
  }

  /** Builds the release from local and pulled blobs and deploys it through the catalog. */
  private void install(ReleaseNotice notice, FetchOrder order) throws Exception {
    List<String> fetched = new ArrayList<>();
    try {
      install(notice, order, fetched);
    } finally {
      // Stored by now, or not wanted: served from the store from here on, if at all.
      pulled.release(fetched);
    }
  }

  private void install(ReleaseNotice notice, FetchOrder order, List<String> fetched)
      throws Exception {
    ReleaseRecord record = notice.record();
    long maxFile = catalog.settings().bundleLimits().maxFileBytes();
    Map<String, byte[]> blobs = new HashMap<>();
    for (String digest : notice.blobDigests()) {
      byte[] bytes;
      try {
        bytes = repository.blob(digest);
      } catch (IOException missing) {
        // From now on peers that start pulling it later wait for this node rather than all
        // asking the origin.
        long since = PulledBlobs.now();
        pulled.pulling(digest, since);
        fetched.add(digest);
        bytes = fetcher.fetch(digest, order.peers(), order.lastResort(), maxFile, since);
        // Checked against its digest: peers may have it from here while this node compiles.
        pulled.hold(digest, bytes);
      }
      blobs.put(digest, bytes);
    }
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(zip)) {
      out.putNextEntry(new ZipEntry(AppBundle.MANIFEST_FILE));
      out.write(record.getManifestToml().getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
      for (Map.Entry<String, String> f : new TreeMap<>(record.getFilesMap()).entrySet()) {
        out.putNextEntry(new ZipEntry(f.getKey()));
        out.write(blobs.get(f.getValue()));
        out.closeEntry();
      }
    }
    DeployedApp app =
        catalog.deploy(AppBundle.fromZip(zip.toByteArray(), catalog.settings().bundleLimits()));
    if (!app.digest().equals(notice.releaseDigest())) {
      throw new IOException(
          "installed as release " + app.digest() + ", not " + notice.releaseDigest());
    }
    log.info(
        "app '{}': {} blobs pulled from peers, {} held here",
        app.name(),
        fetched.size(),
        blobs.size() - fetched.size());
  }

  /** Last writer wins by the notice's own time, so every node resolves a conflict alike. */
  private static final class NoticeClock implements LWWRegister.Clock<ReleaseNotice> {
    static final NoticeClock INSTANCE = new NoticeClock();

    @Override
    public long apply(long currentTimestamp, ReleaseNotice value) {
      return Math.max(value.changedAt(), currentTimestamp + 1);
    }
  }
}
