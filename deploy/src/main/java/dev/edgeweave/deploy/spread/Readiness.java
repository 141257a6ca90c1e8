package dev.edgeweave.deploy.spread;

import java.util.Objects;

/**
 * How far an app's release has spread over the cluster's current members: the nodes serving it, and
 * the locations where every node serves it.
 */
public record Readiness(
    String release, int readyNodes, int nodes, int readyLocations, int locations) {

  public Readiness {
    Objects.requireNonNull(release, "release");
    if (readyNodes < 0 || readyNodes > nodes || readyLocations < 0 || readyLocations > locations) {
      throw new IllegalArgumentException("ready counts must be between 0 and the totals");
    }
  }

  /** "ready on 3/4 nodes, 1/2 locations". */
  public String summary() {
    return "ready on "
        + readyNodes
        + "/"
        + nodes
        + (nodes == 1 ? " node, " : " nodes, ")
        + readyLocations
        + "/"
        + locations
        + (locations == 1 ? " location" : " locations");
  }
}
