package dev.edgeweave.sharding.bench;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.kv.ReplicatedKvService;
import dev.edgeweave.sharding.AppVariables;
import dev.edgeweave.sharding.CatalogSettings;
import dev.edgeweave.sharding.FunctionCatalog;
import dev.edgeweave.sharding.FunctionSettings;
import dev.edgeweave.sharding.GuestScheduler;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.GuestResponse;
import dev.edgeweave.wasmhost.TestGuests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
 * One guest's request with and without a key-value read, in one run: the {@code weave-kv} test
 * guest opens the component's store and then either reads a 64-byte value with {@code kv_get}
 * ({@code withKvGet}) or answers at once ({@code withoutKvGet}). Both run a fresh instance on the
 * caller's thread against the node's real replicated store (one-node cluster, LMDB durable storage,
 * the default {@code LOCAL} consistency), so their difference is one {@code kv_get}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Xms1g",
      "-Xmx1g",
      "--add-opens",
      "java.base/java.nio=ALL-UNNAMED",
      "--add-opens",
      "java.base/sun.nio.ch=ALL-UNNAMED"
    })
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class KvGuestReadBenchmark {

  private static final byte[] VALUE = new byte[64];

  static {
    Arrays.fill(VALUE, (byte) 'v');
  }

  private ActorSystem<Void> system;
  private GuestScheduler scheduler;
  private dev.edgeweave.wasmhost.WasmEngine engine;
  private FunctionCatalog catalog;
  private GuestFunction function;
  private GuestRequest get;
  private GuestRequest open;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Path dir = Files.createTempDirectory("kv-guest-bench");
    var config =
        ConfigFactory.parseString(
                "pekko.actor.serialize-messages = off\npekko.loglevel = WARNING\n"
                    + "edgeweave.kv.durable.dir = \""
                    + dir.resolve("kv").toString().replace("\\", "/")
                    + "\"\n")
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "bench", config);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    FunctionSettings settings = FunctionSettings.fromConfig(config);
    scheduler = new GuestScheduler(settings.scheduler());
    engine = dev.edgeweave.wasmhost.WasmEngine.create(settings.engineConfig(), scheduler);
    ReplicatedKvService kv = ReplicatedKvService.get(system);
    catalog =
        new FunctionCatalog(
            AppRepository.open(dir.resolve("store")),
            engine,
            settings,
            CatalogSettings.fromConfig(config),
            kv,
            kv.settings(),
            AppVariables.fromConfig(config));
    DeployedApp app =
        catalog.deploy(
            AppBundle.fromDirectory(
                TestApps.app("kvbench")
                    .wagi(
                        "/...", "web", TestGuests.c("weave-kv"), "key_value_stores = [\"default\"]")
                    .writeTo(dir)));
    kv.open("kvbench", "default").set("greeting", VALUE).toCompletableFuture().join();
    function = catalog.function("kvbench", app.digest(), 0);
    get = GuestRequest.builder().query("get:default:greeting:").build();
    open = GuestRequest.builder().query("open:default").build();
    // Both paths must do what they claim before anything is measured.
    String read = new String(withKvGet().body(), StandardCharsets.UTF_8);
    if (!read.equals(new String(VALUE, StandardCharsets.UTF_8))) {
      throw new IllegalStateException("kv_get did not read the value: " + read);
    }
    String opened = new String(withoutKvGet().body(), StandardCharsets.UTF_8);
    if (!opened.startsWith("handle ")) {
      throw new IllegalStateException("kv_open failed: " + opened);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    scheduler.close();
    catalog.close();
    engine.close();
  }

  @Benchmark
  public GuestResponse withKvGet() throws Exception {
    return function.invoke(get);
  }

  @Benchmark
  public GuestResponse withoutKvGet() throws Exception {
    return function.invoke(open);
  }
}
