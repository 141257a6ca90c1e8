package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster transport over TLS with mutual authentication: two nodes holding the keys of one
 * {@code weave keys} run form a cluster and serve an app deployed to one of them (its blobs pulled
 * over HTTPS with the same keys, no shared secret set); a node holding the keys of another run, and
 * a node without TLS, never become members, though they name the cluster's seed node; the first of
 * them, given the cluster's keys, then joins.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsTransportTest {

  /** How long the refused nodes keep trying to join while the test watches every node. */
  private static final Duration REFUSED_FOR = Duration.ofSeconds(20);

  private static final Path KEYS_ROOT = tempDir();
  private static final Path CLUSTER_KEYS = KEYS_ROOT.resolve("cluster");
  private static final Path INTRUDER_KEYS = KEYS_ROOT.resolve("intruder");

  @RegisterExtension
  static final WeaveCluster cluster =
      WeaveCluster.named("tls")
          .location("eu", 4)
          .tls(CLUSTER_KEYS)
          .tls("eu-3", Optional.of(INTRUDER_KEYS))
          .tls("eu-4", Optional.empty())
          .build();

  @TempDir static Path apps;

  @BeforeAll
  static void makeKeysAndStart() {
    weaveKeys(CLUSTER_KEYS);
    weaveKeys(INTRUDER_KEYS);
    cluster.start(cluster.node("eu-1"));
    cluster.start(cluster.node("eu-2"));
    cluster.awaitClusterUp(2);
  }

  @AfterAll
  static void deleteKeys() throws IOException {
    try (Stream<Path> paths = Files.walk(KEYS_ROOT)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Runs {@code weave keys DIR} from the packaged node, as an operator would. */
  private static void weaveKeys(Path dir) {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            Distribution.packaged().jar().toString(),
            "keys",
            dir.toString());
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new AssertionError("weave keys " + dir + " failed: " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int status(WeaveNode node, String app) {
    try {
      return cluster.get(node, app + ".localhost", "/").status();
    } catch (IOException e) {
      return -1;
    }
  }

  private static List<String> memberAddresses(WeaveNode node) {
    return cluster.status(node).members().stream().map(NodeStatus.Member::address).toList();
  }

  @Test
  @Order(1)
  void nodesWithTheClustersKeysFormAClusterAndServeAnAppDeployedToOne() {
    WeaveNode eu1 = cluster.node("eu-1");
    WeaveNode eu2 = cluster.node("eu-2");
    for (WeaveNode node : List.of(eu1, eu2)) {
      assertEquals(
          List.of(eu1.address(), eu2.address()),
          memberAddresses(node).stream().sorted().toList(),
          node + "'s members");
      assertEquals(
          1,
          cluster.logLines(node, "cluster transport: TLS with mutual authentication"),
          node + " runs the cluster transport over TLS:\n" + cluster.tail(node, 40));
    }
    Path app = TestApps.app("tls-hello").wagi("/...", "hello", TestGuests.c("hello")).writeTo(apps);
    cluster.deploy(eu1, app);
    WeaveCluster.await(
        "tls-hello served by eu-1 and eu-2",
        Duration.ofSeconds(30),
        () -> status(eu1, "tls-hello") == 200 && status(eu2, "tls-hello") == 200);
  }

  @Test
  @Order(2)
  void aNodeWithAnotherClustersKeysAndANodeWithoutTlsNeverBecomeMembers() {
    WeaveNode eu1 = cluster.node("eu-1");
    WeaveNode eu2 = cluster.node("eu-2");
    WeaveNode otherKeys = cluster.node("eu-3");
    WeaveNode plain = cluster.node("eu-4");
    cluster.start(otherKeys);
    cluster.start(plain);
    List<String> cluster2 = List.of(eu1.address(), eu2.address());
    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + REFUSED_FOR.toNanos();
    while (System.nanoTime() < deadline) {
      for (WeaveNode member : List.of(eu1, eu2)) {
        List<String> members = memberAddresses(member);
        seen.add(member + " " + members);
        assertEquals(cluster2, members.stream().sorted().toList(), member + "'s members");
      }
      for (WeaveNode refused : List.of(otherKeys, plain)) {
        List<String> members = memberAddresses(refused);
        seen.add(refused + " " + members);
        assertTrue(
            members.stream().noneMatch(cluster2::contains),
            refused + " sees a member of the cluster: " + members);
        assertTrue(
            cluster.status(refused).member(refused).isEmpty()
                || !cluster.status(refused).member(refused).get().status().equals("Up"),
            refused + " is Up: " + members);
      }
      WeaveCluster.sleep(Duration.ofMillis(500));
    }
    // Both tried: their joins reached the seed node and failed the TLS handshake there.
    assertTrue(otherKeys.isRunning() && plain.isRunning(), "the refused nodes still run");
    System.out.println("membership seen while the refused nodes tried to join: " + seen.size());
  }

  @Test
  @Order(3)
  void theRefusedNodeGivenTheClustersKeysJoinsAndServesTheApp() throws IOException {
    WeaveNode eu3 = cluster.node("eu-3");
    cluster.stop(eu3);
    for (String file : List.of("ca.crt", "tls.crt", "tls.key")) {
      Files.copy(
          CLUSTER_KEYS.resolve(file),
          INTRUDER_KEYS.resolve(file),
          StandardCopyOption.REPLACE_EXISTING);
    }
    cluster.start(eu3);
    WeaveCluster.await(
        "eu-3 Up in the cluster",
        Duration.ofSeconds(60),
        () ->
            cluster
                .status(cluster.node("eu-1"))
                .member(eu3)
                .map(m -> m.status().equals("Up"))
                .orElse(false));
    WeaveCluster.await(
        "tls-hello served by eu-3", Duration.ofSeconds(30), () -> status(eu3, "tls-hello") == 200);
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("edgeweave-tls-keys-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
