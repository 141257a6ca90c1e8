package dev.edgeweave.faults;

import dev.edgeweave.cluster.NodeStatus;
import dev.edgeweave.cluster.WeaveCluster;
import dev.edgeweave.cluster.WeaveNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The cluster a scenario runs against, through the nodes' public and admin APIs: the test's own
 * {@link WeaveCluster} of node processes, or a cluster started elsewhere (docker compose).
 */
interface Mesh {

  /** The nodes clients call. */
  List<WeaveNode> nodes();

  /** The nodes that run and are not paused, of {@link #nodes()}. */
  List<WeaveNode> running();

  /** How many members the whole cluster has when every node is up. */
  int members();

  /** Waits until every running node sees {@link #members()} members, all Up and reachable. */
  Map<WeaveNode, NodeStatus> awaitClusterUp();

  String deploy(WeaveNode node, Path appDir);

  void deployEverywhere(Path appDir);

  WeaveCluster.Response app(WeaveNode node, String app);

  WeaveCluster.Response adminGet(WeaveNode node, String path) throws IOException;

  WeaveCluster.Response get(WeaveNode node, String host, String path) throws IOException;

  /** A line in the node's log, when the mesh keeps one. */
  void note(WeaveNode node, String what);

  /** The test's own cluster. */
  static Mesh of(WeaveCluster cluster) {
    return new Mesh() {
      @Override
      public List<WeaveNode> nodes() {
        return cluster.nodes();
      }

      @Override
      public List<WeaveNode> running() {
        return cluster.running();
      }

      @Override
      public int members() {
        return cluster.nodes().size();
      }

      @Override
      public Map<WeaveNode, NodeStatus> awaitClusterUp() {
        return cluster.awaitClusterUp(members());
      }

      @Override
      public String deploy(WeaveNode node, Path appDir) {
        return cluster.deploy(node, appDir);
      }

      @Override
      public void deployEverywhere(Path appDir) {
        cluster.deployEverywhere(appDir);
      }

      @Override
      public WeaveCluster.Response app(WeaveNode node, String app) {
        return cluster.app(node, app);
      }

      @Override
      public WeaveCluster.Response adminGet(WeaveNode node, String path) throws IOException {
        return cluster.adminGet(node, path);
      }

      @Override
      public WeaveCluster.Response get(WeaveNode node, String host, String path)
          throws IOException {
        return cluster.get(node, host, path);
      }

      @Override
      public void note(WeaveNode node, String what) {
        cluster.note(node, what);
      }
    };
  }
}
