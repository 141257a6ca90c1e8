package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeConfigTest {

  private static Config config(Map<String, Object> settings) {
    return NodeConfig.apply(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load()));
  }

  @Test
  void seedNodesFromTheEnvironmentStringShouldReplaceTheConfiguredList() {
    Config config =
        config(
            Map.of(
                NodeConfig.SEED_NODES,
                " pekko://edgeweave@eu-1:25520, pekko://edgeweave@us-1:25521 ,",
                NodeConfig.PEKKO_SEED_NODES,
                List.of("pekko://edgeweave@old:25520")));
    assertEquals(
        List.of("pekko://edgeweave@eu-1:25520", "pekko://edgeweave@us-1:25521"),
        config.getStringList(NodeConfig.PEKKO_SEED_NODES));
  }

  @Test
  void withoutSeedNodesInTheEnvironmentTheConfiguredListShouldStay() {
    Config config =
        config(Map.of(NodeConfig.PEKKO_SEED_NODES, List.of("pekko://edgeweave@a:25520")));
    assertEquals(
        List.of("pekko://edgeweave@a:25520"), config.getStringList(NodeConfig.PEKKO_SEED_NODES));
  }

  @Test
  void aSeedNodeThatIsNotANodeAddressShouldBeRefusedByName() {
    var notAnAddress =
        assertThrows(
            IllegalArgumentException.class,
            () -> config(Map.of(NodeConfig.SEED_NODES, "pekko://edgeweave@a:1,eu-2:25520")));
    assertTrue(notAnAddress.getMessage().contains("'eu-2:25520'"), notAnAddress.getMessage());
    var otherSystem =
        assertThrows(
            IllegalArgumentException.class,
            () -> config(Map.of(NodeConfig.SEED_NODES, "pekko://other@a:25520")));
    assertTrue(otherSystem.getMessage().contains("'pekko://other@a:25520'"));
    var noPort =
        assertThrows(
            IllegalArgumentException.class,
            () -> config(Map.of(NodeConfig.SEED_NODES, "pekko://edgeweave@a")));
    assertTrue(noPort.getMessage().contains("'pekko://edgeweave@a'"));
  }

  @Test
  void theShutdownPhaseForRequestsInFlightShouldOutlastTheUnbindDeadline() {
    Config config = config(Map.of("edgeweave.node.unbind-deadline", "30s"));
    assertEquals(
        Duration.ofSeconds(30).plus(NodeConfig.REQUESTS_DONE_SLACK),
        config.getDuration(NodeConfig.REQUESTS_DONE_TIMEOUT));
  }

  @Test
  void aLongerConfiguredShutdownPhaseShouldBeKept() {
    Config config =
        config(
            Map.of(
                "edgeweave.node.unbind-deadline", "2s", NodeConfig.REQUESTS_DONE_TIMEOUT, "40s"));
    assertEquals(Duration.ofSeconds(40), config.getDuration(NodeConfig.REQUESTS_DONE_TIMEOUT));
  }

  @Test
  void faultInjectionShouldTurnArteryTestModeOnAndBeOffByDefault() {
    assertEquals(false, config(Map.of()).getBoolean(FaultInjection.FLAG));
    assertEquals(false, config(Map.of()).getBoolean(NodeConfig.ARTERY_TEST_MODE));
    assertEquals(
        true, config(Map.of(FaultInjection.FLAG, true)).getBoolean(NodeConfig.ARTERY_TEST_MODE));
  }
}
