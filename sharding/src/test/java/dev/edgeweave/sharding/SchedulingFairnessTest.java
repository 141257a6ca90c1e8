package dev.edgeweave.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.proto.InvocationRequest;
import dev.edgeweave.sharding.proto.InvocationResponse;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One app saturates the node with guests that loop until their wall time, while another app is
 * called one request after the other. Each request waits as long as the ingress would (the app's
 * ask timeout), so a request stuck behind the looping app fails here as it would for a client.
 */
class SchedulingFairnessTest {

  private static final Config CONFIG =
      ConfigFactory.parseString(
              """
              edgeweave.apps {
                "hog" { limits { wall-time = 4s, max-concurrency = 40 } }
                "light" { limits { wall-time = 1s } }
              }
              """)
          .withFallback(ConfigFactory.load());

  private static final int HOG_REQUESTS = 40;
  private static final int LIGHT_REQUESTS = 200;

  @TempDir static Path dir;
  private static ActorTestKit testKit;
  private static FunctionCatalog catalog;
  private static WasmEngine engine;
  private static GuestScheduler scheduler;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("SchedulingFairnessTest", CONFIG);
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    FunctionSettings settings = FunctionSettings.fromConfig(CONFIG);
    scheduler = new GuestScheduler(settings.scheduler());
    engine = WasmEngine.create(settings.engineConfig(), scheduler);
    try {
      catalog = new FunctionCatalog(AppRepository.open(dir.resolve("store")), engine, settings);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    FunctionEntity.init(testKit.system(), catalog, scheduler);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    scheduler.close();
    engine.close();
  }

  private static DeployedApp deploy(TestApps app) throws Exception {
    return catalog.deploy(AppBundle.fromDirectory(app.writeTo(dir.resolve("apps"))));
  }

  /** Asks the app's entity, waiting as long as the ingress would. */
  private static CompletionStage<FunctionEntity.Reply> ask(DeployedApp app) {
    Duration timeout = catalog.settings().askTimeout(catalog.limitsFor(app.name()));
    InvocationRequest request =
        InvocationRequest.newBuilder()
            .setApp(app.name())
            .setAppDigest(app.digest())
            .setComponent(app.manifest().triggers().get(0).componentId())
            .setTriggerIndex(0)
            .setMethod("GET")
            .setFullUrl("http://localhost/")
            .setPath("/")
            .setServerName("localhost")
            .setServerPort(80)
            .build();
    return ClusterSharding.get(testKit.system())
        .entityRefFor(FunctionEntity.TYPE_KEY, FunctionEntity.entityId(app.name(), 0))
        .ask(replyTo -> new FunctionEntity.Invoke(request, replyTo), timeout);
  }

  /** Calls the app one request after the other; returns each request's latency in µs. */
  private static long[] callInTurn(DeployedApp app, int count) {
    long[] micros = new long[count];
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      InvocationResponse response = ask(app).toCompletableFuture().join().response();
      micros[i] = (System.nanoTime() - start) / 1000;
      assertEquals(
          200, response.getStatus(), "request " + i + ": " + response.getFailure().getMessage());
    }
    return micros;
  }

  private static long percentile(long[] micros, double p) {
    long[] sorted = micros.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  }

  @Test
  void anotherAppShouldBeServedWhileOneAppSaturatesTheNodeWithLoopingGuests() throws Exception {
    DeployedApp hog = deploy(TestApps.app("hog").wagi("/...", "loop", TestGuests.wat("loop")));
    DeployedApp light = deploy(TestApps.app("light").wagi("/...", "hello", TestGuests.c("hello")));
    callInTurn(light, 50); // warm-up: JIT, compiled module, entity started
    long[] unloaded = callInTurn(light, LIGHT_REQUESTS);

    List<CompletableFuture<FunctionEntity.Reply>> hogging = new ArrayList<>();
    for (int i = 0; i < HOG_REQUESTS; i++) {
      hogging.add(ask(hog).toCompletableFuture());
    }
    // Let the looping guests take the node before the other app asks.
    Thread.sleep(500);
    long[] loaded = callInTurn(light, LIGHT_REQUESTS);

    System.out.printf(
        "light app, %d requests in turn: unloaded p50 %d us, p99 %d us; while %d looping"
            + " requests of another app saturate the node: p50 %d us, p99 %d us (p99 ratio %.1f)%n",
        LIGHT_REQUESTS,
        percentile(unloaded, 0.50),
        percentile(unloaded, 0.99),
        HOG_REQUESTS,
        percentile(loaded, 0.50),
        percentile(loaded, 0.99),
        (double) percentile(loaded, 0.99) / percentile(unloaded, 0.99));
    // Every hog request ends: with its wall time (504), refused (503), or its caller gave up.
    for (CompletableFuture<FunctionEntity.Reply> reply : hogging) {
      int status = reply.handle((r, e) -> e != null ? 0 : r.response().getStatus()).join();
      assertTrue(status == 504 || status == 503 || status == 0, "hog request ended " + status);
    }
  }
}
