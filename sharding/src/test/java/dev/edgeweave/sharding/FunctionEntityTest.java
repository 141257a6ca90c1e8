package dev.edgeweave.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.proto.Failure;
import dev.edgeweave.sharding.proto.InvocationRequest;
import dev.edgeweave.sharding.proto.InvocationResponse;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunctionEntityTest {

  private static final Config CONFIG =
      ConfigFactory.parseString(
              """
              edgeweave.node.name = "entity-test-node"
              edgeweave.apps {
                "busy" { limits { max-concurrency = 1, max-queue = 1, wall-time = 1s } }
                "queued" { limits { max-concurrency = 1 } }
                "slow" { limits { wall-time = 300ms } }
                "tiny" { limits { max-memory-pages = 1 } }
                "serial" { limits { max-concurrency = 1 } }
              }
              """)
          .withFallback(ConfigFactory.load());

  @TempDir static Path dir;
  private static ActorTestKit testKit;
  private static FunctionCatalog catalog;
  private static WasmEngine engine;
  private static GuestScheduler scheduler;

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("FunctionEntityTest", CONFIG);
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

  private static CompletionStage<FunctionEntity.Reply> ask(DeployedApp app, String query) {
    return ask(app, query, 0);
  }

  private static CompletionStage<FunctionEntity.Reply> ask(
      DeployedApp app, String query, long deadlineEpochMillis) {
    InvocationRequest request = request(app, query, deadlineEpochMillis);
    return ClusterSharding.get(testKit.system())
        .entityRefFor(FunctionEntity.TYPE_KEY, FunctionEntity.entityId(app.name(), 0))
        .ask(replyTo -> new FunctionEntity.Invoke(request, replyTo), Duration.ofSeconds(30));
  }

  private static InvocationRequest request(
      DeployedApp app, String query, long deadlineEpochMillis) {
    return InvocationRequest.newBuilder()
        .setDeadlineEpochMillis(deadlineEpochMillis)
        .setApp(app.name())
        .setAppDigest(app.digest())
        .setComponent(app.manifest().triggers().get(0).componentId())
        .setTriggerIndex(0)
        .setMethod("GET")
        .setFullUrl("http://localhost/?" + query)
        .setPath("/")
        .setQuery(query)
        .setServerName("localhost")
        .setServerPort(80)
        .build();
  }

  private static InvocationResponse call(DeployedApp app) {
    return ask(app, "").toCompletableFuture().join().response();
  }

  @Test
  void anInvocationShouldRunTheGuestAndReplyWithItsResponse() throws Exception {
    DeployedApp app = deploy(TestApps.app("hello").wagi("/...", "hello", TestGuests.c("hello")));
    InvocationResponse response = call(app);
    assertEquals(200, response.getStatus());
    assertTrue(response.getBody().toString(StandardCharsets.UTF_8).contains("Hello"));
  }

  @Test
  void theGuestShouldSeeTheLocationAndNameOfTheNodeRunningIt() throws Exception {
    DeployedApp app = deploy(TestApps.app("env").wagi("/...", "env", TestGuests.c("env")));
    String body = call(app).getBody().toString(StandardCharsets.UTF_8);
    assertTrue(body.contains("\nX_WEAVE_LOCATION=default\n"), body);
    assertTrue(body.contains("\nX_WEAVE_NODE=entity-test-node\n"), body);
  }

  @Test
  void anInvocationShouldBeAcknowledgedWhenItReachesTheEntityBeforeItsReply() throws Exception {
    DeployedApp app = deploy(TestApps.app("acked").wagi("/...", "hello", TestGuests.c("hello")));
    TestProbe<FunctionEntity.Reply> replies = testKit.createTestProbe();
    TestProbe<FunctionEntity.Accepted> acks = testKit.createTestProbe();
    ClusterSharding.get(testKit.system())
        .entityRefFor(FunctionEntity.TYPE_KEY, FunctionEntity.entityId(app.name(), 0))
        .tell(new FunctionEntity.Invoke(request(app, "", 0), replies.getRef(), acks.getRef()));
    acks.expectMessage(Duration.ofSeconds(30), new FunctionEntity.Accepted());
    assertEquals(200, replies.receiveMessage(Duration.ofSeconds(30)).response().getStatus());
  }

  @Test
  void theNodesOwnRunnerShouldRunARequestOutsideSharding() throws Exception {
    DeployedApp app = deploy(TestApps.app("local").wagi("/...", "env", TestGuests.c("env")));
    var runner = testKit.spawn(FunctionEntity.local(catalog, scheduler));
    TestProbe<FunctionEntity.Reply> replies = testKit.createTestProbe();
    runner.tell(new FunctionEntity.Invoke(request(app, "", 0), replies.getRef()));
    InvocationResponse response = replies.receiveMessage(Duration.ofSeconds(30)).response();
    assertEquals(200, response.getStatus());
    assertTrue(
        response.getBody().toString(StandardCharsets.UTF_8).contains("X_WEAVE_NODE=entity-test"));
  }

  @Test
  void requestsPastTheConcurrencyLimitShouldWaitForTheirTurnWhenTheirDeadlineAllows()
      throws Exception {
    DeployedApp app = deploy(TestApps.app("queued").wagi("/...", "hello", TestGuests.c("hello")));
    List<CompletionStage<FunctionEntity.Reply>> replies = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      replies.add(ask(app, ""));
    }
    for (var reply : replies) {
      InvocationResponse response = reply.toCompletableFuture().join().response();
      assertEquals(200, response.getStatus(), response.getFailure().getMessage());
    }
  }

  @Test
  void requestsPastAFullQueueShouldGet503WithRetryAfter() throws Exception {
    DeployedApp app = deploy(TestApps.app("busy").wagi("/...", "loop", TestGuests.wat("loop")));
    List<CompletionStage<FunctionEntity.Reply>> replies = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      replies.add(ask(app, ""));
    }
    List<InvocationResponse> responses =
        replies.stream().map(r -> r.toCompletableFuture().join().response()).toList();
    List<Integer> statuses = responses.stream().map(InvocationResponse::getStatus).toList();
    // One runs, one waits in the queue (one place) and runs after it, one is refused.
    assertEquals(2, statuses.stream().filter(s -> s == 504).count(), statuses.toString());
    InvocationResponse overloaded =
        responses.stream().filter(r -> r.getStatus() == 503).findFirst().orElseThrow();
    assertEquals(Failure.Kind.OVERLOADED, overloaded.getFailure().getKind());
    assertTrue(overloaded.getFailure().getRetryAfterSeconds() >= 1);
    assertTrue(
        overloaded.getFailure().getMessage().contains("queue"),
        overloaded.getFailure().getMessage());
  }

  @Test
  void aRequestWhoseCallerHasGivenUpShouldBeAnswered503WithoutRunning() throws Exception {
    DeployedApp app = deploy(TestApps.app("late").wagi("/...", "hello", TestGuests.c("hello")));
    assertEquals(200, call(app).getStatus());
    GuestScheduler.Counts before = scheduler.counts();
    InvocationResponse response =
        ask(app, "", System.currentTimeMillis() - 1000).toCompletableFuture().join().response();
    assertEquals(503, response.getStatus());
    assertEquals(Failure.Kind.OVERLOADED, response.getFailure().getKind());
    GuestScheduler.Counts after = scheduler.counts();
    assertEquals(before.started(), after.started(), "the guest ran");
    assertEquals(before.expired() + 1, after.expired());
  }

  @Test
  void aRequestsDeadlineShouldBeTheOneItCarriesButNeverPastTheAppsAskTimeout() {
    Duration askTimeout = Duration.ofSeconds(15);
    long hour = System.currentTimeMillis() + Duration.ofHours(1).toMillis();
    long before = System.nanoTime();
    long none = FunctionEntity.deadlineNanos(InvocationRequest.getDefaultInstance(), askTimeout);
    long far =
        FunctionEntity.deadlineNanos(
            InvocationRequest.newBuilder().setDeadlineEpochMillis(hour).build(), askTimeout);
    long past =
        FunctionEntity.deadlineNanos(
            InvocationRequest.newBuilder().setDeadlineEpochMillis(1).build(), askTimeout);
    long after = System.nanoTime();
    assertTrue(none - before >= askTimeout.toNanos() - 1_000_000, "no deadline: the ask timeout");
    assertTrue(none - after <= askTimeout.toNanos());
    assertTrue(far - after <= askTimeout.toNanos(), "a later deadline is cut to the ask timeout");
    assertTrue(past - before < 0, "a deadline in the past stays in the past");
  }

  @Test
  void aClientSendingOneRequestAfterAnotherShouldNeverMeetItsOwnPreviousRequest() throws Exception {
    DeployedApp app = deploy(TestApps.app("serial").wagi("/...", "hello", TestGuests.c("hello")));
    for (int i = 0; i < 200; i++) {
      assertEquals(200, call(app).getStatus(), "request " + i);
    }
  }

  @Test
  void aGuestThatLoopsShouldTimeOutWhileOtherAppsKeepServing() throws Exception {
    DeployedApp slow = deploy(TestApps.app("slow").wagi("/...", "loop", TestGuests.wat("loop")));
    DeployedApp hello = deploy(TestApps.app("hello2").wagi("/...", "hello", TestGuests.c("hello")));
    CompletionStage<FunctionEntity.Reply> looping = ask(slow, "");
    assertEquals(200, call(hello).getStatus());
    InvocationResponse timedOut = looping.toCompletableFuture().join().response();
    assertEquals(504, timedOut.getStatus());
    assertEquals(Failure.Kind.TIMEOUT, timedOut.getFailure().getKind());
    assertTrue(
        timedOut.getFailure().getMessage().contains("loop"), timedOut.getFailure().getMessage());
    assertEquals(200, call(hello).getStatus());
  }

  @Test
  void requestsRoutedToTheReleaseJustReplacedShouldStillBeServed() throws Exception {
    DeployedApp first = deploy(TestApps.app("swap").wagi("/...", "hello", TestGuests.c("hello")));
    DeployedApp second = deploy(TestApps.app("swap").wagi("/...", "hello", TestGuests.c("env")));
    assertTrue(call(first).getBody().toString(StandardCharsets.UTF_8).contains("Hello"));
    assertTrue(call(second).getBody().toString(StandardCharsets.UTF_8).contains("REQUEST_METHOD"));
    // Every release replaced within its drain time drains (FunctionCatalogTest: then it is gone).
    deploy(TestApps.app("swap").wagi("/...", "hello", TestGuests.c("echo")));
    assertEquals(200, call(second).getStatus());
    assertEquals(200, call(first).getStatus());
  }

  @Test
  void anInvocationForAReleaseThatIsNotDeployedShouldSayUnknownApp() throws Exception {
    DeployedApp app = deploy(TestApps.app("gone").wagi("/...", "hello", TestGuests.c("hello")));
    catalog.remove("gone");
    InvocationResponse response = call(app);
    assertEquals(404, response.getStatus());
    assertEquals(Failure.Kind.UNKNOWN_APP, response.getFailure().getKind());
  }

  @Test
  void aModuleNeedingMoreMemoryThanItsAppMayHaveShouldBeRefusedAtDeploy() throws Exception {
    FunctionCatalog.DeployException refused =
        assertThrows(
            FunctionCatalog.DeployException.class,
            () -> deploy(TestApps.app("tiny").wagi("/...", "hello", TestGuests.c("hello"))));
    assertTrue(refused.getMessage().contains("hello"), refused.getMessage());
    assertTrue(refused.getMessage().contains("page"), refused.getMessage());
    assertTrue(catalog.app("tiny").isEmpty());
  }

  @Test
  void appNamesDifferingOnlyInCaseShouldBeRefusedAndFoundInAnyCase() throws Exception {
    deploy(TestApps.app("Mixed-Case").wagi("/...", "hello", TestGuests.c("hello")));
    FunctionCatalog.DeployException refused =
        assertThrows(
            FunctionCatalog.DeployException.class,
            () -> deploy(TestApps.app("mixed-case").wagi("/...", "hello", TestGuests.c("hello"))));
    assertTrue(refused.getMessage().contains("Mixed-Case"), refused.getMessage());
    assertEquals("Mixed-Case", catalog.appAddressed("mixed-case").orElseThrow().name());
    assertEquals("Mixed-Case", catalog.appAddressed("Mixed-Case").orElseThrow().name());
    assertTrue(catalog.appAddressed("mixed").isEmpty());
  }

  @Test
  void aMalformedModuleShouldBeRefusedAndThePreviousReleaseKeepServing() throws Exception {
    DeployedApp good = deploy(TestApps.app("keep").wagi("/...", "hello", TestGuests.c("hello")));
    byte[] broken = "\0asm\u0001\0\0\0garbage".getBytes(StandardCharsets.ISO_8859_1);
    FunctionCatalog.DeployException refused =
        assertThrows(
            FunctionCatalog.DeployException.class,
            () -> deploy(TestApps.app("keep").wagi("/...", "hello", broken)));
    assertTrue(refused.getMessage().contains("hello"), refused.getMessage());
    assertEquals(good.digest(), catalog.app("keep").orElseThrow().digest());
    assertEquals(200, call(good).getStatus());
  }

  @Test
  void aComponentThatAllowsTransientWritesWritesItsFilesForOneRequestOnly() throws Exception {
    byte[] hello = "hello, files".getBytes(StandardCharsets.UTF_8);
    DeployedApp app =
        deploy(
            TestApps.app("scratch")
                .file("static/hello.txt", hello)
                .wagi(
                    "/...",
                    "scratch",
                    TestGuests.c("transient"),
                    "files = [\"static/*\"]",
                    "[component.scratch.tool.edgeweave]",
                    "allow_transient_write = true"));

    String written =
        ask(app, "write")
            .toCompletableFuture()
            .join()
            .response()
            .getBody()
            .toString(StandardCharsets.UTF_8);
    String next =
        ask(app, "read")
            .toCompletableFuture()
            .join()
            .response()
            .getBody()
            .toString(StandardCharsets.UTF_8);

    assertTrue(written.contains("hello=hello, files and more"), written);
    assertTrue(next.contains("hello=hello, files\n"), next);
  }
}
