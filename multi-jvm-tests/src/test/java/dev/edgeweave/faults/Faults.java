package dev.edgeweave.faults;

import dev.edgeweave.cluster.WeaveNode;
import java.util.Collection;
import java.util.List;

/** The faults a scenario injects, each one call. */
interface Faults {

  /** How partitions are made (for the report): namespaces and nftables, or docker networks. */
  String mode();

  /** Kills the node at once (kill -9, docker kill): no shutdown of any kind. */
  void kill(WeaveNode node);

  /** Freezes the node (SIGSTOP, docker pause), like a very long GC pause. */
  void pause(WeaveNode node);

  /** Lets a paused node run again. */
  void resume(WeaveNode node);

  /** Starts the node again on its data (after a kill, or stops it first if it runs). */
  void restart(WeaveNode node);

  /** Cuts every side off from every other; nodes keep talking within their side. */
  void partition(List<? extends Collection<WeaveNode>> sides);

  /** Removes every partition. */
  void heal();
}
