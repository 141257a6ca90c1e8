package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two locations of two nodes each, joined through seed nodes (eu from WEAVE_SEED_NODES, us from
 * pekko.cluster.seed-nodes), serving apps deployed to every node from every node.
 */
class ClusterFormationTest {

  private static final int APPS = 6;

  @RegisterExtension
  static final WeaveCluster cluster =
      WeaveCluster.named("formation")
          .location("eu", 2)
          .location("us", 2)
          .seedsThroughConfig("us")
          .build();

  @TempDir static Path apps;

  private static final List<String> names = new ArrayList<>();

  @BeforeAll
  static void startAndDeploy() {
    cluster.startAll();
    cluster.awaitClusterUp(4);
    for (int i = 0; i < APPS; i++) {
      String name = "app-" + i;
      names.add(name);
      cluster.deployEverywhere(
          TestApps.app(name).wagi("/...", "hello", TestGuests.c("hello")).writeTo(apps));
    }
  }

  @Test
  void everyNodeShouldSeeAllFourMembersUpInTheirLocations() {
    for (WeaveNode node : cluster.nodes()) {
      NodeStatus status = cluster.status(node);
      assertEquals(node.address(), status.self());
      assertEquals(node.location(), status.location());
      assertTrue(status.allUp(4), node + " sees " + status.members());
      for (WeaveNode other : cluster.nodes()) {
        NodeStatus.Member member = status.member(other).orElseThrow();
        assertEquals(other.location(), member.location(), node + " sees " + member);
      }
    }
  }

  @Test
  void everyAppShouldBeServedByEveryNodeIncludingAppsWhoseEntityRunsOnAnotherNode()
      throws Exception {
    for (WeaveNode node : cluster.nodes()) {
      for (String app : names) {
        WeaveCluster.Response byHost = cluster.get(node, app + ".localhost", "/");
        assertEquals(200, byHost.status(), node + " " + app + ": " + byHost.body());
        assertEquals("Hello, Edgeweave\n", byHost.body());
        WeaveCluster.Response byPath = cluster.get(node, "127.0.0.1", "/" + app + "/");
        assertEquals(200, byPath.status(), node + " " + app + ": " + byPath.body());
      }
    }

    // Where each location placed each app's entity: on exactly one of its nodes.
    Map<WeaveNode, List<String>> entities = new HashMap<>();
    for (WeaveNode node : cluster.nodes()) {
      entities.put(node, cluster.status(node).entities());
    }
    for (String location : List.of("eu", "us")) {
      List<WeaveNode> nodes = cluster.location(location);
      for (String app : names) {
        String entity = app + "#0";
        long hosts = nodes.stream().filter(n -> entities.get(n).contains(entity)).count();
        assertEquals(1, hosts, location + " runs " + entity + " on " + hosts + " nodes");
      }
      // Every node served every app, and each hosts only some of them: the rest of its requests
      // ran on the other node of its location.
      for (WeaveNode node : nodes) {
        List<String> elsewhere =
            names.stream().filter(a -> !entities.get(node).contains(a + "#0")).toList();
        assertFalse(
            elsewhere.isEmpty(),
            node + " runs every entity of " + location + ": " + entities.get(node));
        assertFalse(
            elsewhere.size() == names.size(),
            node + " runs no entity, so sharding never placed one there");
      }
    }
    System.out.println(
        "entities per node: "
            + entities.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .sorted()
                .collect(Collectors.joining(", ")));
  }
}
