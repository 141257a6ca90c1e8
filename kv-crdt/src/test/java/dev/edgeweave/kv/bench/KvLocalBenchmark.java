package dev.edgeweave.kv.bench;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.kv.KvStore;
import dev.edgeweave.kv.ReplicatedKvService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Local calls on a one-node cluster, each waited for by its caller (4 callers at once): {@code
 * get}, {@code set} and {@code increment} of one app's store over 1,000 keys. {@code storage =
 * durable} stores every write in LMDB before acknowledging it (the default); {@code memory} is the
 * same node without durable storage, measured in the same run as the baseline.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Threads(4)
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
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
public class KvLocalBenchmark {

  private static final int KEYS = 1000;

  @Param({"durable", "memory"})
  public String storage;

  private ActorSystem<Void> system;
  private KvStore store;
  private Path dir;
  private String[] keys;
  private byte[] value;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("kv-bench");
    var config =
        ConfigFactory.parseString(
                "pekko.actor.serialize-messages = off\n"
                    + "pekko.loglevel = WARNING\n"
                    + "edgeweave.kv.durable.enabled = "
                    + storage.equals("durable")
                    + "\n"
                    + "edgeweave.kv.durable.dir = \""
                    + dir.resolve("kv")
                    + "\"\n"
                    + "edgeweave.kv.limits.writes-per-second = 1000000\n"
                    + "edgeweave.kv.limits.write-burst = 1000000\n")
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "bench", config);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    store = ReplicatedKvService.get(system).open("bench", "default");
    keys = new String[KEYS];
    value = new byte[100];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "key-" + i;
      store.set(keys[i], value).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private String key() {
    return keys[ThreadLocalRandom.current().nextInt(KEYS)];
  }

  @Benchmark
  public Object get() throws Exception {
    return store.get(key()).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Benchmark
  public Object set() throws Exception {
    return store.set(key(), value).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Benchmark
  public Object increment() throws Exception {
    return store
        .increment("counter-" + ThreadLocalRandom.current().nextInt(16), 1)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }
}
