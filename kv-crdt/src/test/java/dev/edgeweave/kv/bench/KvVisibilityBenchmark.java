package dev.edgeweave.kv.bench;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.kv.KvStore;
import dev.edgeweave.kv.ReplicatedKvService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time from a local {@code set} acknowledged on node a1 until node {@code reader} reads the new
 * value (polled every 2 ms), with the default replication settings. Two locations of two nodes each
 * on loopback; {@code a2} is in the writer's location (the baseline of the same run), {@code b1} in
 * the other.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
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
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 6, time = 20)
public class KvVisibilityBenchmark {

  @Param({"a2", "b1"})
  public String reader;

  private final List<ActorSystem<Void>> nodes = new ArrayList<>();
  private KvStore writer;
  private KvStore readerStore;
  private Path dir;
  private long n;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("kv-visibility");
    for (String name : List.of("a1", "a2", "b1", "b2")) {
      var config =
          ConfigFactory.parseString(
                  "pekko.actor.serialize-messages = off\n"
                      + "pekko.loglevel = WARNING\n"
                      + "pekko.cluster.multi-data-center.self-data-center = "
                      + name.charAt(0)
                      + "\nedgeweave.kv.durable.dir = \""
                      + dir.resolve(name)
                      + "\"\n")
              .withFallback(ConfigFactory.load());
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", config);
      ReplicatedKvService.get(system);
      nodes.add(system);
    }
    var seed = Cluster.get(nodes.get(0)).selfMember().address();
    nodes.forEach(s -> Cluster.get(s).manager().tell(Join.create(seed)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!allUp()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cluster did not form");
      }
      Thread.sleep(50);
    }
    writer = ReplicatedKvService.get(nodes.get(0)).open("bench", "default");
    int r = reader.equals("a2") ? 1 : 2;
    readerStore = ReplicatedKvService.get(nodes.get(r)).open("bench", "default");
  }

  private boolean allUp() {
    for (ActorSystem<Void> s : nodes) {
      int up = 0;
      for (var m : Cluster.get(s).state().getMembers()) {
        if (m.status() == MemberStatus.up()) {
          up++;
        }
      }
      if (up != nodes.size()) {
        return false;
      }
    }
    return true;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    for (ActorSystem<Void> s : nodes) {
      s.terminate();
      s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  public void visible() throws Exception {
    String key = "k" + (n % 64);
    byte[] value = ("v" + n++).getBytes(StandardCharsets.UTF_8);
    writer.set(key, value).toCompletableFuture().get(10, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      Optional<byte[]> seen = readerStore.get(key).toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (seen.isPresent() && Arrays.equals(seen.get(), value)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("write not visible within 30 s");
      }
      Thread.sleep(2);
    }
  }
}
