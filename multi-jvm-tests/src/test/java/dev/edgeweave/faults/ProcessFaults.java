package dev.edgeweave.faults;

import dev.edgeweave.cluster.WeaveCluster;
import dev.edgeweave.cluster.WeaveNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The faults on a {@link WeaveCluster} of node processes: kill -9, SIGSTOP/SIGCONT, restart on the
 * same data dir, and partitions that drop real packets when the cluster runs in the suite's network
 * namespaces ({@link #NAMESPACES}); without them a partition cannot be made and the call fails
 * saying why.
 */
final class ProcessFaults implements Faults {

  static final String NAMESPACES = "namespaces+nftables";

  private final WeaveCluster cluster;
  private final NetNamespaces network; // null: no namespaces
  private final String unavailable;

  ProcessFaults(WeaveCluster cluster, NetNamespaces network, String unavailable) {
    this.cluster = cluster;
    this.network = network;
    this.unavailable = unavailable;
  }

  @Override
  public String mode() {
    return network != null ? NAMESPACES : "none (" + unavailable + ")";
  }

  @Override
  public void kill(WeaveNode node) {
    cluster.kill(node);
  }

  @Override
  public void pause(WeaveNode node) {
    cluster.pause(node);
  }

  @Override
  public void resume(WeaveNode node) {
    cluster.resume(node);
  }

  @Override
  public void restart(WeaveNode node) {
    cluster.restart(node);
  }

  @Override
  public void partition(List<? extends Collection<WeaveNode>> sides) {
    if (network == null) {
      throw new AssertionError("cannot partition: network namespaces unavailable: " + unavailable);
    }
    List<List<String>> names = new ArrayList<>();
    for (Collection<WeaveNode> side : sides) {
      names.add(side.stream().map(WeaveNode::name).toList());
    }
    String what =
        sides.stream()
            .map(s -> s.stream().map(WeaveNode::name).collect(Collectors.joining(",", "{", "}")))
            .collect(Collectors.joining(" | "));
    for (WeaveNode node : cluster.nodes()) {
      cluster.note(node, "partition " + what);
    }
    network.partition(names);
  }

  @Override
  public void heal() {
    if (network != null) {
      network.heal();
      for (WeaveNode node : cluster.nodes()) {
        cluster.note(node, "partition healed");
      }
    }
  }
}
