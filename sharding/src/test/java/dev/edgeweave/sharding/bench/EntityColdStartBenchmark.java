package dev.edgeweave.sharding.bench;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.FunctionCatalog;
import dev.edgeweave.sharding.FunctionEntity;
import dev.edgeweave.sharding.FunctionSettings;
import dev.edgeweave.sharding.GuestScheduler;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.sharding.proto.InvocationRequest;
import dev.edgeweave.sharding.proto.InvocationResponse;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.GuestResponse;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cold start seen from the entity: a request handed to {@link FunctionEntity} through sharding
 * until the reply with the guest's stdout is back ({@code entity}), against the same guest invoked
 * directly on the caller's thread ({@code direct}), in one run. The difference is what the actor
 * hop, the Protobuf payloads and the hand-off to a guest thread of the scheduler cost.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EntityColdStartBenchmark {

  private ActorSystem<Void> system;
  private WasmEngine engine;
  private GuestScheduler scheduler;
  private EntityRef<FunctionEntity.Command> entity;
  private InvocationRequest request;
  private GuestFunction direct;
  private GuestRequest directRequest;
  private ExecutorService handoffPool;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    var config =
        ConfigFactory.parseString(
                "pekko.actor.serialize-messages = off\npekko.loglevel = WARNING\n")
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "bench", config);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    FunctionSettings settings = FunctionSettings.fromConfig(config);
    scheduler = new GuestScheduler(settings.scheduler());
    engine = WasmEngine.create(settings.engineConfig(), scheduler);
    Path dir = Files.createTempDirectory("entity-bench");
    FunctionCatalog catalog =
        new FunctionCatalog(AppRepository.open(dir.resolve("store")), engine, settings);
    DeployedApp app =
        catalog.deploy(
            AppBundle.fromDirectory(
                TestApps.app("hello").wagi("/...", "hello", TestGuests.c("hello")).writeTo(dir)));
    FunctionEntity.init(system, catalog, scheduler);
    entity =
        ClusterSharding.get(system)
            .entityRefFor(FunctionEntity.TYPE_KEY, FunctionEntity.entityId("hello", 0));
    request =
        InvocationRequest.newBuilder()
            .setApp("hello")
            .setAppDigest(app.digest())
            .setComponent("hello")
            .setMethod("GET")
            .setPath("/hello")
            .setFullUrl("http://hello.localhost/hello")
            .setServerName("hello.localhost")
            .setServerPort(8080)
            .build();
    direct = catalog.function("hello", app.digest(), 0);
    directRequest = GuestRequest.builder().path("/hello").build();
    handoffPool = Executors.newSingleThreadExecutor();
    // The first ask starts the shard and the entity.
    entity();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    handoffPool.shutdown();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    scheduler.close();
    engine.close();
  }

  @Benchmark
  public InvocationResponse entity() {
    InvocationResponse response =
        entity
            .<FunctionEntity.Reply>ask(
                replyTo -> new FunctionEntity.Invoke(request, replyTo), Duration.ofSeconds(10))
            .toCompletableFuture()
            .join()
            .response();
    if (response.getStatus() != 200) {
      throw new IllegalStateException("guest failed: " + response);
    }
    return response;
  }

  @Benchmark
  public GuestResponse direct() throws Exception {
    return direct.invoke(directRequest);
  }

  @Benchmark
  public Integer handoff() throws Exception {
    return handoffPool.submit(() -> 1).get();
  }
}
