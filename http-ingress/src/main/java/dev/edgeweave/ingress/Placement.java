package dev.edgeweave.ingress;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where a request for one release of an app runs, in order of preference: each target after the
 * first is tried only when the one before provably did not run the request (see {@link
 * PublicIngress}). Pure: it reads a snapshot of the cluster and of which release each member
 * serves.
 *
 * <ul>
 *   <li>This node serves the release, and so does every member of its location, none unreachable:
 *       the app's entity in this location (sharding places it), then this node itself.
 *   <li>This node serves the release, but a member of its location does not yet (still spreading,
 *       catching up) or is unreachable (maybe dead): this node itself. A stateless function loses
 *       nothing by running where the request arrived, and an entity placed on such a member would
 *       fail or never answer.
 *   <li>This node does not serve it: this location's entity if some member here serves it, then the
 *       other locations where every member serves it, then those where only some do (by name).
 *       Another location's answer says so in a response header.
 * </ul>
 *
 * <p>A member that reports no rollout status for the app (not gossiped yet, or an app deployed on
 * each node by hand, not spread) counts as serving it.
 */
final class Placement {

  private Placement() {}

  /** One place to send the request to. */
  sealed interface Target permits Here, InLocation {}

  /** This node's own runner, outside sharding. */
  record Here() implements Target {}

  /** The app's sharded entity in {@code location}; {@code forwarded} when not this node's. */
  record InLocation(String location, boolean forwarded) implements Target {}

  /** A cluster member as this node sees it. */
  record Member(String address, String location, boolean up, boolean reachable) {
    Member {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(location, "location");
    }
  }

  /**
   * The targets for a request to release {@code digest}.
   *
   * @param self this node's address
   * @param selfLocation this node's location
   * @param servesHere whether this node can run the release
   * @param members every member this node knows of (itself included)
   * @param unreachableLocations locations this node cannot reach at all
   * @param servedBy member address → the release of the app it serves ("" for none)
   */
  static List<Target> plan(
      String self,
      String selfLocation,
      boolean servesHere,
      String digest,
      Collection<Member> members,
      Set<String> unreachableLocations,
      Map<String, String> servedBy) {
    Map<String, LocationView> locations = new TreeMap<>();
    for (Member m : members) {
      LocationView view = locations.computeIfAbsent(m.location(), l -> new LocationView());
      boolean isSelf = m.address().equals(self);
      if (!m.reachable() && !isSelf) {
        view.unreachable = true;
      } else if (m.up() || isSelf) {
        // A member that has not reported on the app (its status still gossiping, or an app
        // placed on each node by hand) counts as serving it: sharding decides, and an entity
        // without the release answers so, which moves the request on.
        String reported = servedBy.get(m.address());
        boolean ready = isSelf ? servesHere : reported == null || digest.equals(reported);
        if (ready) {
          view.ready++;
        } else {
          view.notReady++;
        }
      }
    }
    for (String location : unreachableLocations) {
      locations.computeIfAbsent(location, l -> new LocationView()).unreachable = true;
    }
    LocationView own = locations.computeIfAbsent(selfLocation, l -> new LocationView());
    List<Target> plan = new ArrayList<>();
    if (servesHere) {
      if (own.whole()) {
        plan.add(new InLocation(selfLocation, false));
      }
      plan.add(new Here());
      return plan;
    }
    if (own.ready > 0 && !own.unreachable) {
      plan.add(new InLocation(selfLocation, false));
    }
    List<Target> partly = new ArrayList<>();
    List<Target> unsure = new ArrayList<>();
    locations.forEach(
        (location, view) -> {
          if (location.equals(selfLocation) || view.ready == 0) {
            return;
          }
          Target target = new InLocation(location, true);
          if (view.whole()) {
            plan.add(target);
          } else if (!view.unreachable) {
            partly.add(target);
          } else {
            unsure.add(target);
          }
        });
    plan.addAll(partly);
    plan.addAll(unsure);
    return plan;
  }

  /** What this node sees of one location's members. */
  private static final class LocationView {
    int ready;
    int notReady;
    boolean unreachable;

    /** Every member serves the release and none is unreachable: any entity there can run it. */
    boolean whole() {
      return ready > 0 && notReady == 0 && !unreachable;
    }
  }
}
