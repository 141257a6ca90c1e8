package dev.edgeweave.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.proto.InvocationRequest;
import dev.edgeweave.sharding.proto.InvocationResponse;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with one run slot: a guest sleeping in {@code poll_oneoff}, or waiting for an outbound
 * HTTP response, gives the slot back, through the engine's blocking listener, so another app's
 * request runs meanwhile.
 */
class BlockingGuestTest {

  private static final Config CONFIG =
      ConfigFactory.parseString(
              """
              edgeweave.function.scheduler { run-slots = 1, max-threads = 2 }
              edgeweave.apps { "napping" { limits { wall-time = 3s } } }
              """)
          .withFallback(ConfigFactory.load());

  @TempDir static Path dir;
  private static ActorTestKit testKit;
  private static FunctionCatalog catalog;
  private static WasmEngine engine;
  private static GuestScheduler scheduler;

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("BlockingGuestTest", CONFIG);
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    FunctionSettings settings = FunctionSettings.fromConfig(CONFIG);
    scheduler = new GuestScheduler(settings.scheduler());
    engine = WasmEngine.create(settings.engineConfig(), scheduler);
    catalog = new FunctionCatalog(AppRepository.open(dir.resolve("store")), engine, settings);
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

  private static CompletableFuture<InvocationResponse> ask(DeployedApp app) {
    return ask(app, "");
  }

  private static CompletableFuture<InvocationResponse> ask(DeployedApp app, String body) {
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
            .setBody(ByteString.copyFromUtf8(body))
            .build();
    return ClusterSharding.get(testKit.system())
        .entityRefFor(FunctionEntity.TYPE_KEY, FunctionEntity.entityId(app.name(), 0))
        .<FunctionEntity.Reply>ask(
            replyTo -> new FunctionEntity.Invoke(request, replyTo), Duration.ofSeconds(30))
        .thenApply(FunctionEntity.Reply::response)
        .toCompletableFuture();
  }

  @Test
  void aGuestSleepingInTheHostShouldNotKeepAnotherAppWaitingForTheOnlySlot() throws Exception {
    DeployedApp napping =
        deploy(TestApps.app("napping").wagi("/...", "nap", TestGuests.wat("nap")));
    DeployedApp hello = deploy(TestApps.app("awake").wagi("/...", "hello", TestGuests.c("hello")));
    assertEquals(200, ask(hello).join().getStatus());
    CompletableFuture<InvocationResponse> nap = ask(napping);
    // The napping guest is asleep in the host, holding its thread but not the slot.
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (scheduler.counts().threadsInUse() == 0 || scheduler.counts().running() != 0) {
      if (System.nanoTime() > until) {
        throw new AssertionError("the napping guest never slept: " + scheduler.counts());
      }
      Thread.sleep(5);
    }
    for (int i = 0; i < 20; i++) {
      assertEquals(200, ask(hello).join().getStatus(), "request " + i);
    }
    assertFalse(nap.isDone(), "the other app waited until the napping guest ended");
    assertEquals(504, nap.join().getStatus());
    assertEquals(0, scheduler.counts().running());
  }

  @Test
  void aGuestWaitingForAnOutboundResponseShouldNotKeepAnotherAppWaitingForTheOnlySlot()
      throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService serverThreads = Executors.newCachedThreadPool();
    server.setExecutor(serverThreads);
    server.createContext(
        "/",
        exchange -> {
          try {
            answer.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] body = "at last".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      DeployedApp fetching =
          deploy(
              TestApps.app("fetching")
                  .wagi(
                      "/...",
                      "fetch",
                      TestGuests.c("weave-http"),
                      "allowed_outbound_hosts = [\"" + url + "\"]"));
      DeployedApp hello =
          deploy(TestApps.app("awake").wagi("/...", "hello", TestGuests.c("hello")));
      assertEquals(200, ask(hello).join().getStatus());
      CompletableFuture<InvocationResponse> fetch = ask(fetching, "GET " + url + "/ 0 1");
      long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (scheduler.counts().threadsInUse() == 0 || scheduler.counts().running() != 0) {
        if (System.nanoTime() > until) {
          throw new AssertionError("the fetching guest never waited: " + scheduler.counts());
        }
        Thread.sleep(5);
      }
      for (int i = 0; i < 20; i++) {
        assertEquals(200, ask(hello).join().getStatus(), "request " + i);
      }
      assertFalse(fetch.isDone(), "the other app waited until the fetching guest ended");
      answer.countDown();
      InvocationResponse response = fetch.join();
      assertEquals(200, response.getStatus());
      assertEquals(
          "status 0 http 200 sent 1 header - body at last", response.getBody().toStringUtf8());
    } finally {
      answer.countDown();
      server.stop(0);
      serverThreads.shutdownNow();
    }
  }
}
