package dev.edgeweave.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.cluster.WeaveCluster;
import dev.edgeweave.cluster.WeaveNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault scenarios against a docker compose cluster a user started (see {@link ComposeMesh} for
 * the properties, the README's "Fault injection" for the command). Runs only when {@code
 * -Dfaults.compose.project} names the project. The HTTP traffic calls the apps named by {@code
 * -Dfaults.apps} (already deployed: the user's own), or else three test apps it deploys; the KV
 * probe and the release app are always deployed. {@code -Dfaults.compose.victim} (default eu-2) is
 * the node the faults hit.
 */
@EnabledIfSystemProperty(named = "faults.compose.project", matches = ".+")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeFaultsTest {

  private static final Duration DECISION_BOUND = Duration.ofSeconds(90);

  private static ComposeMesh mesh;
  private static DockerFaults faults;
  private static List<String> webApps;

  @TempDir static Path appsDir;

  @BeforeAll
  static void connect() throws Exception {
    mesh = new ComposeMesh();
    faults = new DockerFaults(mesh);
    mesh.awaitClusterUp();
    String apps = System.getProperty("faults.apps", "");
    if (apps.isEmpty()) {
      ScenarioRun.deployApps(mesh, appsDir);
      webApps = ScenarioRun.WEB_APPS;
    } else {
      ScenarioRun.deployProbes(mesh, appsDir);
      webApps = Arrays.stream(apps.split(",")).map(String::trim).toList();
    }
  }

  private static WeaveNode victim() {
    return mesh.service(System.getProperty("faults.compose.victim", "eu-2"));
  }

  /** A published node that watches the victim: one of its location if any is published. */
  private static WeaveNode observer(WeaveNode victim) {
    return mesh.nodes().stream()
        .filter(n -> n != victim && n.location().equals(victim.location()))
        .findFirst()
        .orElseGet(() -> mesh.nodes().stream().filter(n -> n != victim).findFirst().orElseThrow());
  }

  @Test
  @Order(1)
  void killingANodeLosesNoAcknowledgedWrite() throws Exception {
    WeaveNode victim = victim();
    WeaveNode observer = observer(victim);
    ScenarioRun run = ScenarioRun.start("compose-kill", mesh, faults, appsDir, webApps);
    Summary summary;
    try {
      run.fault(() -> faults.kill(victim), victim);
      run.deployRelease(observer);
      awaitRemoved(observer, victim);
      run.hold(Duration.ofSeconds(5));
      run.heal(() -> faults.restart(victim));
      summary = run.finish();
    } catch (RuntimeException | Error | IOException e) {
      run.abort();
      throw e;
    }
    check(summary, run, victim);
  }

  @Test
  @Order(2)
  void aNodePausedPastTheFailureDetectorLosesNothing() throws Exception {
    WeaveNode victim = victim();
    WeaveNode observer = observer(victim);
    ScenarioRun run = ScenarioRun.start("compose-pause", mesh, faults, appsDir, webApps);
    Summary summary;
    try {
      run.fault(() -> faults.pause(victim), victim);
      run.deployRelease(observer);
      awaitRemoved(observer, victim);
      run.heal(
          () -> {
            faults.resume(victim);
            // Downed while paused, the node stops itself on waking; start it again.
            WeaveCluster.await(victim + " exited", DECISION_BOUND, () -> !mesh.live(victim));
            faults.restart(victim);
          });
      summary = run.finish();
    } catch (RuntimeException | Error | IOException e) {
      run.abort();
      throw e;
    }
    check(summary, run, victim);
  }

  @Test
  @Order(3)
  void aNodeDisconnectedFromTheNetworkIsDownedAndTheRestServes() throws Exception {
    WeaveNode victim = victim();
    WeaveNode observer = observer(victim);
    List<WeaveNode> rest =
        List.of("eu-1", "eu-2", "us-1", "us-2").stream()
            .map(mesh::service)
            .filter(n -> n != victim)
            .toList();
    ScenarioRun run = ScenarioRun.start("compose-disconnect", mesh, faults, appsDir, webApps);
    Summary summary;
    try {
      run.fault(() -> faults.partition(List.of(rest, List.of(victim))), victim);
      run.deployRelease(observer);
      awaitRemoved(observer, victim);
      run.heal(
          () -> {
            faults.heal();
            WeaveCluster.await(victim + " exited", DECISION_BOUND, () -> !mesh.live(victim));
            faults.restart(victim);
          });
      summary = run.finish();
    } catch (RuntimeException | Error | IOException e) {
      run.abort();
      throw e;
    }
    check(summary, run, victim);
  }

  private static void check(Summary s, ScenarioRun run, WeaveNode victim) {
    assertTrue(s.anomalies().isEmpty(), s.line() + "\n" + String.join("\n", s.anomalies()));
    assertEquals(0, s.lost(), s.line());
    for (WeaveNode node : mesh.nodes()) {
      if (!node.location().equals(victim.location())) {
        assertEquals(0, run.errorsIn(node.location()), "errors where no fault was: " + s.line());
      }
    }
  }

  private static void awaitRemoved(WeaveNode observer, WeaveNode node) {
    WeaveCluster.await(
        node + " removed from the cluster as " + observer + " sees it",
        DECISION_BOUND,
        () -> mesh.status(observer).map(s -> s.member(node).isEmpty()).orElse(false));
  }
}
