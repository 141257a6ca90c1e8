package dev.edgeweave.faults;

import dev.edgeweave.cluster.WeaveNode;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The faults on a compose cluster: {@code docker kill}, {@code docker pause}/{@code unpause} (or
 * SIGSTOP/SIGCONT through {@code docker kill --signal} where the engine cannot freeze a container),
 * {@code docker start} (the container keeps its volume), and partitions by disconnecting containers
 * from the compose network. Docker cannot drop traffic between two chosen containers alone: every
 * node outside the first side is disconnected, so it is cut off from every node, its own side
 * included, and from its published ports.
 */
final class DockerFaults implements Faults {

  private final ComposeMesh mesh;
  private final Set<WeaveNode> disconnected = new LinkedHashSet<>();
  private final Set<WeaveNode> stopped = new LinkedHashSet<>();

  DockerFaults(ComposeMesh mesh) {
    this.mesh = mesh;
  }

  @Override
  public String mode() {
    return "docker network disconnect";
  }

  @Override
  public void kill(WeaveNode node) {
    mesh.note(node, "docker kill");
    Docker.must("kill", mesh.container(node));
  }

  @Override
  public void pause(WeaveNode node) {
    mesh.note(node, "docker pause");
    Docker.Result paused = Docker.run("pause", mesh.container(node));
    if (paused.exit() != 0) {
      // Engines without the cgroup freezer cannot pause a container; stopping its process (the
      // node is the container's first process) freezes the node the same way.
      mesh.note(node, "docker pause refused (" + paused.output().strip() + "): SIGSTOP instead");
      Docker.must("kill", "--signal=STOP", mesh.container(node));
      stopped.add(node);
    }
  }

  @Override
  public void resume(WeaveNode node) {
    if (stopped.remove(node)) {
      mesh.note(node, "docker kill --signal=CONT");
      Docker.must("kill", "--signal=CONT", mesh.container(node));
      return;
    }
    mesh.note(node, "docker unpause");
    Docker.must("unpause", mesh.container(node));
  }

  @Override
  public void restart(WeaveNode node) {
    mesh.note(node, "docker start");
    String container = mesh.container(node);
    if (mesh.live(node)) {
      Docker.must("restart", container);
    } else {
      Docker.run("unpause", container);
      if (stopped.remove(node)) {
        Docker.run("kill", "--signal=CONT", container);
      }
      Docker.must("start", container);
    }
  }

  @Override
  public void partition(List<? extends Collection<WeaveNode>> sides) {
    heal();
    for (Collection<WeaveNode> side : sides.subList(1, sides.size())) {
      for (WeaveNode node : side) {
        mesh.note(node, "docker network disconnect " + mesh.network);
        Docker.must("network", "disconnect", mesh.network, mesh.container(node));
        disconnected.add(node);
      }
    }
  }

  @Override
  public void heal() {
    for (WeaveNode node : List.copyOf(disconnected)) {
      mesh.note(node, "docker network connect " + mesh.network);
      // The service name is the node's host name on the network: peers reach it by it again.
      Docker.must("network", "connect", "--alias", node.name(), mesh.network, mesh.container(node));
      disconnected.remove(node);
    }
  }
}
