package dev.edgeweave.kv;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** Actor systems on loopback for the KV's tests: one node, or several locations in one JVM. */
final class TestNodes {

  private TestNodes() {}

  /**
   * A node of {@code location}; compare-and-swap is owned by the node's own location unless {@code
   * extra} names another (every node of a cluster must name the same).
   */
  static Config config(String location, Path durableDir, String extra) {
    return ConfigFactory.parseString(extra)
        .withFallback(
            ConfigFactory.parseString(
                "pekko.cluster.multi-data-center.self-data-center = \""
                    + location
                    + "\"\nedgeweave.kv.compare-and-swap.location = \""
                    + location
                    + "\"\nedgeweave.kv.durable.dir = \""
                    + durableDir.toString().replace("\\", "/")
                    + "\"\n"))
        .withFallback(ConfigFactory.load());
  }

  /** A node with its KV started, as the node's composition root starts it on every node. */
  static ActorSystem<Void> start(Config config) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "kv", config);
    ReplicatedKvService.get(system);
    return system;
  }

  /** Joins every node to the first and waits until all are up. */
  static void form(List<ActorSystem<Void>> nodes) {
    var seed = Cluster.get(nodes.get(0)).selfMember().address();
    for (ActorSystem<Void> n : nodes) {
      Cluster.get(n).manager().tell(Join.create(seed));
    }
    await(
        Duration.ofSeconds(30),
        () ->
            nodes.stream()
                .allMatch(
                    n -> {
                      var members = Cluster.get(n).state().getMembers();
                      int up = 0;
                      for (var m : members) {
                        if (m.status() == MemberStatus.up()) {
                          up++;
                        }
                      }
                      return up == nodes.size();
                    }));
  }

  static void stop(ActorSystem<?> system) {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("actor system did not stop", e);
    }
  }

  static void await(Duration max, BooleanSupplier condition) {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + max);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  static <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw KvException.unwrap(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
