package dev.edgeweave.node;

import com.typesafe.config.Config;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.spread.BlobPeerServer;
import dev.edgeweave.deploy.spread.PeerTls;
import dev.edgeweave.deploy.spread.PulledBlobs;
import dev.edgeweave.deploy.spread.ReleaseLog;
import dev.edgeweave.deploy.spread.ReleaseNotice;
import dev.edgeweave.ingress.AdminApi;
import dev.edgeweave.ingress.AdminSettings;
import dev.edgeweave.ingress.IngressSettings;
import dev.edgeweave.ingress.PublicIngress;
import dev.edgeweave.ingress.RoutingSettings;
import dev.edgeweave.kv.ReplicatedKvService;
import dev.edgeweave.sharding.AppVariables;
import dev.edgeweave.sharding.CatalogSettings;
import dev.edgeweave.sharding.FunctionCatalog;
import dev.edgeweave.sharding.FunctionEntity;
import dev.edgeweave.sharding.FunctionSettings;
import dev.edgeweave.sharding.GuestScheduler;
import dev.edgeweave.wasmhost.WasmEngine;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Wires one node together: joins the cluster (alone when no seed nodes are configured), opens the
 * app store and the Wasm engine, starts the function shards of this location, and binds the public
 * ingress and the admin API. Shutdown runs in reverse through CoordinatedShutdown.
 */
final class Guardian {

  /** What a started node reports back: where it listens and what it serves. */
  record Started(
      InetSocketAddress publicAddress,
      InetSocketAddress adminAddress,
      FunctionCatalog catalog,
      String adminToken,
      ReleaseLog releaseLog) {}

  private Guardian() {}

  static Behavior<Void> create(
      AppRepository repository, String adminToken, CompletableFuture<Started> started) {
    return Behaviors.setup(
        ctx -> {
          ActorSystem<Void> system = ctx.getSystem();
          Config config = system.settings().config();
          Cluster cluster = Cluster.get(system);
          if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
          }

          FunctionSettings functionSettings = FunctionSettings.fromConfig(config);
          // Guests run on the scheduler's threads and tell it when they wait in the host.
          GuestScheduler scheduler = new GuestScheduler(functionSettings.scheduler());
          WasmEngine engine = WasmEngine.create(functionSettings.engineConfig(), scheduler);
          // Every node runs the key-value replicator, whether or not its apps use it: a node
          // without it counts as a replica that never answers.
          ReplicatedKvService kv = ReplicatedKvService.get(system);
          FunctionCatalog catalog =
              new FunctionCatalog(
                  repository,
                  engine,
                  functionSettings,
                  CatalogSettings.fromConfig(config),
                  kv,
                  kv.settings(),
                  AppVariables.fromConfig(config));
          FunctionEntity.init(system, catalog, scheduler);
          // This node's own runner: where the ingress runs a request when sharding cannot be
          // trusted with it (a member of this location not ready, or unreachable).
          ActorRef<FunctionEntity.Command> localRunner =
              ctx.spawn(FunctionEntity.local(catalog, scheduler), "local-functions");
          ctx.spawn(HandOffRedelivery.create(), "hand-off-redelivery");

          // Releases deployed on any node spread here; blobs come from the peers' blob servers.
          SpreadSettings configured = SpreadSettings.fromConfig(config);
          // With the cluster's keys, blobs move over HTTPS between holders of its certificates.
          SpreadSettings spread =
              configured.tlsKeys().isPresent()
                  ? configured.withTls(
                      PeerTls.fromKeysDir(configured.tlsKeys().get(), configured.tlsReload())
                          .context())
                  : configured;
          // Blobs pulled for an install are served from memory until they are stored.
          PulledBlobs pulled = new PulledBlobs();
          Optional<BlobPeerServer> blobServer = Optional.empty();
          if (spread.peersEnabled()) {
            blobServer =
                Optional.of(
                    BlobPeerServer.start(
                        repository.dataDir().resolve(AppRepository.BLOBS_DIR),
                        pulled,
                        spread.secret(),
                        spread.tls(),
                        new InetSocketAddress(spread.peerHost(), spread.peerPort()),
                        spread.maxConcurrentUploads(),
                        spread.maxUploadsPerBlob(),
                        spread.chunkBytes()));
          }
          Optional<URI> blobServerUri =
              blobServer.map(
                  b ->
                      URI.create(
                          spread.scheme()
                              + "://"
                              + spread.peerHost()
                              + ":"
                              + b.address().getPort()));
          AtomicReference<Map<String, String>> readyView = new AtomicReference<>(Map.of());
          AtomicReference<Map<String, ReleaseNotice>> noticesView = new AtomicReference<>(Map.of());
          ActorRef<ReleaseSpreader.Command> spreader =
              ctx.spawn(
                  ReleaseSpreader.create(
                      catalog, repository, spread, blobServerUri, readyView, noticesView, pulled),
                  "release-spreader");
          ReleaseLog releaseLog =
              ReleaseSpreader.logTo(spreader, system, readyView, noticesView, blobServer);

          ClusterReleaseView releases = new ClusterReleaseView(readyView);
          ctx.spawn(releases.subscriber(), "cluster-releases");

          IngressSettings ingress = IngressSettings.fromConfig(config);
          AdminSettings admin = AdminSettings.fromConfig(config, adminToken);
          Http http = Http.get(system);
          CompletionStage<ServerBinding> publicBinding =
              http.newServerAt(ingress.host(), ingress.port())
                  .bind(
                      new PublicIngress(
                          system,
                          catalog,
                          ingress,
                          localRunner,
                          releases,
                          RoutingSettings.fromConfig(config)));
          CompletionStage<ServerBinding> adminBinding =
              http.newServerAt(admin.host(), admin.port())
                  .bind(
                      new AdminApi(
                          system,
                          catalog,
                          admin,
                          releaseLog,
                          FaultInjection.forConfig(system, config)));

          Optional<BlobPeerServer> closeBlobServer = blobServer;
          CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
          Duration unbindDeadline = config.getDuration("edgeweave.node.unbind-deadline");
          publicBinding
              .thenCombine(
                  adminBinding,
                  (p, a) -> {
                    p.addToCoordinatedShutdown(unbindDeadline, system);
                    a.addToCoordinatedShutdown(unbindDeadline, system);
                    return new Started(
                        p.localAddress(), a.localAddress(), catalog, adminToken, releaseLog);
                  })
              .whenComplete(
                  (s, error) -> {
                    if (error != null) {
                      started.completeExceptionally(error);
                      system.terminate();
                    } else {
                      started.complete(s);
                    }
                  });
          shutdown.addTask(
              CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
              "close-wasm-engine",
              () -> {
                closeBlobServer.ifPresent(BlobPeerServer::close);
                scheduler.close();
                catalog.close();
                engine.close();
                return CompletableFuture.completedFuture(Done.getInstance());
              });
          return Behaviors.empty();
        });
  }
}
