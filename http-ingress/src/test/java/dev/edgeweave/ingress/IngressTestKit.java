package dev.edgeweave.ingress;

import com.typesafe.config.Config;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.FunctionCatalog;
import dev.edgeweave.sharding.FunctionEntity;
import dev.edgeweave.sharding.FunctionSettings;
import dev.edgeweave.sharding.GuestScheduler;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.WasmEngine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/** A one-node cluster with the real catalog, sharding and ingress on an ephemeral port. */
final class IngressTestKit implements AutoCloseable {

  final ActorTestKit testKit;
  final FunctionCatalog catalog;
  final WasmEngine engine;
  final GuestScheduler scheduler;
  final ServerBinding binding;
  final Path dir;
  final HttpClient client = HttpClient.newHttpClient();

  IngressTestKit(String name, Config config, Path dir) throws java.io.IOException {
    this.dir = dir;
    this.testKit = ActorTestKit.create(name, config);
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    FunctionSettings functionSettings = FunctionSettings.fromConfig(config);
    this.scheduler = new GuestScheduler(functionSettings.scheduler());
    this.engine = WasmEngine.create(functionSettings.engineConfig(), scheduler);
    this.catalog =
        new FunctionCatalog(AppRepository.open(dir.resolve("store")), engine, functionSettings);
    FunctionEntity.init(testKit.system(), catalog, scheduler);
    IngressSettings settings = IngressSettings.fromConfig(config);
    this.binding =
        Http.get(testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(new PublicIngress(testKit.system(), catalog, settings))
            .toCompletableFuture()
            .join();
  }

  DeployedApp deploy(TestApps app) throws Exception {
    return catalog.deploy(AppBundle.fromDirectory(app.writeTo(dir.resolve("apps"))));
  }

  int port() {
    return binding.localAddress().getPort();
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
        .timeout(Duration.ofSeconds(30));
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET());
  }

  /**
   * Sends a request and waits for its response, at most a minute: the client's own timeout does not
   * cover every stage (a request waiting for "100 Continue" waits forever).
   */
  HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client
        .sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
        .get(1, TimeUnit.MINUTES);
  }

  @Override
  public void close() {
    binding.unbind().toCompletableFuture().join();
    testKit.shutdownTestKit();
    scheduler.close();
    engine.close();
  }
}
