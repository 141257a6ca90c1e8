package dev.edgeweave.faults;

import dev.edgeweave.cluster.WeaveCluster;
import dev.edgeweave.cluster.WeaveNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The faults on a {@link WeaveCluster} of node processes: kill -9, SIGSTOP/SIGCONT, restart on the
 * same data dir, and partitions: real packet loss when the cluster runs in the suite's network
 * namespaces ({@link #NAMESPACES}), else Pekko Artery's test-mode blackhole through the nodes'
 * fault-injection route ({@link #ARTERY_BLACKHOLE}, nodes started with {@link ArteryBlackhole#FLAG}
 * on). With neither, a partition cannot be made and the call fails saying why.
 */
final class ProcessFaults implements Faults {

  static final String NAMESPACES = "namespaces+nftables";
  static final String ARTERY_BLACKHOLE = "artery-blackhole";

  private final WeaveCluster cluster;
  private final NetNamespaces network; // null: no namespaces
  private final ArteryBlackhole blackhole; // null: no fault-injection route
  private final String unavailable;

  /** Partitions by namespaces when given, else by the blackhole when given, else none. */
  ProcessFaults(
      WeaveCluster cluster, NetNamespaces network, ArteryBlackhole blackhole, String unavailable) {
    this.cluster = cluster;
    this.network = network;
    this.blackhole = network == null ? blackhole : null;
    this.unavailable = unavailable;
  }

  @Override
  public String mode() {
    if (network != null) {
      return NAMESPACES;
    }
    return blackhole != null ? ARTERY_BLACKHOLE : "none (" + unavailable + ")";
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
    if (network == null && blackhole == null) {
      throw new AssertionError("cannot partition: network namespaces unavailable: " + unavailable);
    }
    String what = ArteryBlackhole.describe(sides);
    for (WeaveNode node : cluster.nodes()) {
      cluster.note(node, "partition " + what + " by " + mode());
    }
    if (network != null) {
      List<List<String>> names = new ArrayList<>();
      for (Collection<WeaveNode> side : sides) {
        names.add(side.stream().map(WeaveNode::name).toList());
      }
      network.partition(names);
    } else {
      blackhole.partition(sides);
    }
  }

  @Override
  public void heal() {
    if (network != null) {
      network.heal();
    } else if (blackhole != null) {
      blackhole.heal();
    } else {
      return;
    }
    for (WeaveNode node : cluster.nodes()) {
      cluster.note(node, "partition healed");
    }
  }
}
