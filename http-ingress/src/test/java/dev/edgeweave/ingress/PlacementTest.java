package dev.edgeweave.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeweave.ingress.Placement.Here;
import dev.edgeweave.ingress.Placement.InLocation;
import dev.edgeweave.ingress.Placement.Member;
import dev.edgeweave.ingress.Placement.Target;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where a request runs, for the cluster states the ingress meets. */
class PlacementTest {

  private static final String R = "release-2";
  private static final String OLD = "release-1";

  /** A cluster of eu-1, eu-2 (eu) and us-1, us-2 (us), all up and reachable; self is eu-1. */
  private final List<Member> members = new ArrayList<>();

  private final Map<String, String> served = new HashMap<>();

  PlacementTest() {
    for (String node : List.of("eu-1", "eu-2", "us-1", "us-2")) {
      members.add(new Member(node, node.substring(0, 2), true, true));
      served.put(node, R);
    }
  }

  private List<Target> plan(boolean servesHere) {
    return plan(servesHere, Set.of());
  }

  private List<Target> plan(boolean servesHere, Set<String> unreachableLocations) {
    return Placement.plan("eu-1", "eu", servesHere, R, members, unreachableLocations, served);
  }

  private void set(String node, boolean up, boolean reachable) {
    members.replaceAll(
        m -> m.address().equals(node) ? new Member(node, m.location(), up, reachable) : m);
  }

  @Test
  void aLocationWhoseEveryMemberServesTheReleaseRunsItAtTheEntityThenHere() {
    assertEquals(List.of(new InLocation("eu", false), new Here()), plan(true));
  }

  @Test
  void aNodeAloneInItsClusterRunsThroughItsEntity() {
    members.removeIf(m -> !m.address().equals("eu-1"));
    served.clear();
    assertEquals(List.of(new InLocation("eu", false), new Here()), plan(true));
  }

  @Test
  void aLocationWithAMemberStillSpreadingRunsItHere() {
    served.put("eu-2", OLD);
    assertEquals(List.of(new Here()), plan(true));
    served.put("eu-2", "");
    assertEquals(List.of(new Here()), plan(true));
  }

  @Test
  void aMemberThatHasNotReportedOnTheAppYetCountsAsServingIt() {
    served.remove("eu-2");
    assertEquals(List.of(new InLocation("eu", false), new Here()), plan(true));
  }

  @Test
  void anAppWithoutAnyRolloutStatusCountsAsServedByEveryMember() {
    served.clear();
    assertEquals(List.of(new InLocation("eu", false), new Here()), plan(true));
    assertEquals(List.of(new InLocation("eu", false), new InLocation("us", true)), plan(false));
  }

  @Test
  void aLocationWithAnUnreachableMemberRunsItHere() {
    set("eu-2", true, false);
    assertEquals(List.of(new Here()), plan(true));
  }

  @Test
  void anUnreachableMemberOfAnotherLocationDoesNotChangeThisOne() {
    set("us-2", true, false);
    assertEquals(List.of(new InLocation("eu", false), new Here()), plan(true));
  }

  @Test
  void aMemberNotYetUpIsNotWhereTheEntityRunsSoItDoesNotCount() {
    set("eu-2", false, true);
    served.put("eu-2", "");
    assertEquals(List.of(new InLocation("eu", false), new Here()), plan(true));
  }

  @Test
  void aNodeWithoutTheReleaseTriesItsOwnLocationWhenAnotherMemberThereServesIt() {
    assertEquals(List.of(new InLocation("eu", false), new InLocation("us", true)), plan(false));
  }

  @Test
  void aLocationWhereNoMemberServesTheReleaseForwardsToOneWhereEveryMemberDoes() {
    served.put("eu-2", OLD);
    assertEquals(List.of(new InLocation("us", true)), plan(false));
  }

  @Test
  void wholeLocationsComeBeforePartlyReadyOnesThenUnreachableOnes() {
    for (String node : List.of("ap-1", "ap-2", "sa-1", "sa-2")) {
      members.add(new Member(node, node.substring(0, 2), true, true));
      served.put(node, R);
    }
    served.put("eu-2", OLD);
    served.put("ap-2", OLD);
    set("us-2", true, false);
    assertEquals(
        List.of(new InLocation("sa", true), new InLocation("ap", true), new InLocation("us", true)),
        plan(false));
  }

  @Test
  void aLocationThisNodeCannotReachComesLast() {
    members.add(new Member("sa-1", "sa", true, true));
    served.put("sa-1", R);
    served.put("eu-2", OLD);
    assertEquals(
        List.of(new InLocation("sa", true), new InLocation("us", true)), plan(false, Set.of("us")));
  }

  @Test
  void noMemberServingTheReleaseLeavesNowhereToRunIt() {
    served.replaceAll((node, digest) -> OLD);
    assertEquals(List.of(), plan(false));
  }

  @Test
  void aMemberServingTheReleaseButNotUpIsNotForwardedTo() {
    served.put("eu-2", OLD);
    set("us-1", false, true);
    set("us-2", false, true);
    assertEquals(List.of(), plan(false));
  }
}
