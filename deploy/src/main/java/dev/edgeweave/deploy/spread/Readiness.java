package dev.edgeweave.deploy.spread;

import java.util.List;
import java.util.Objects;

/**
 * How far an app's release has spread over the cluster's current members: the nodes serving it, and
 * the locations where every node serves it.
 *
 * @param members every member counted, with the release it serves ("" for none)
 */
public record Readiness(
    String release,
    int readyNodes,
    int nodes,
    int readyLocations,
    int locations,
    List<Member> members) {

  /** One member, its location, and the release of the app it serves ("" for none). */
  public record Member(String address, String location, String serving) {
    public Member {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(location, "location");
      Objects.requireNonNull(serving, "serving");
    }
  }

  public Readiness {
    Objects.requireNonNull(release, "release");
    members = List.copyOf(members);
    if (readyNodes < 0 || readyNodes > nodes || readyLocations < 0 || readyLocations > locations) {
      throw new IllegalArgumentException("ready counts must be between 0 and the totals");
    }
  }

  /** Counts the members serving {@code release}; a location is ready when all of its are. */
  public static Readiness of(String release, List<Member> members) {
    java.util.Map<String, int[]> byLocation = new java.util.TreeMap<>();
    int ready = 0;
    for (Member m : members) {
      int[] counts = byLocation.computeIfAbsent(m.location(), l -> new int[2]);
      counts[0]++;
      if (m.serving().equals(release)) {
        counts[1]++;
        ready++;
      }
    }
    int readyLocations = (int) byLocation.values().stream().filter(c -> c[0] == c[1]).count();
    return new Readiness(
        release, ready, members.size(), readyLocations, byLocation.size(), members);
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
