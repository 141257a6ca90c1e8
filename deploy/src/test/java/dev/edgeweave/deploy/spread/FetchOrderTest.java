package dev.edgeweave.deploy.spread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FetchOrderTest {

  private static final Map<String, String> DIRECTORY =
      Map.of(
          "eu-1", "eu http://eu-1:1",
          "eu-2", "eu http://eu-2:1",
          "eu-3", "eu http://eu-3:1",
          "us-1", "us http://us-1:1",
          "us-2", "us http://us-2:1",
          "broken", "no-space");

  private static URI uri(String node) {
    return URI.create("http://" + node + ":1");
  }

  @Test
  void theOriginComesLastEvenInTheFetchersOwnLocation() {
    FetchOrder order = FetchOrder.of(DIRECTORY, "eu-2", "eu", "eu-1", new Random(1));

    assertEquals(List.of(uri("eu-1")), order.lastResort());
    assertEquals(Set.of(uri("eu-3")), Set.copyOf(order.peers().subList(0, 1)));
    assertEquals(Set.of(uri("us-1"), uri("us-2")), Set.copyOf(order.peers().subList(1, 3)));
    assertEquals(3, order.peers().size(), "itself, the origin and the broken entry are left out");
  }

  @Test
  void peersOfTheFetchersLocationComeFirstAndTheOriginLastForAFarFetcher() {
    FetchOrder order = FetchOrder.of(DIRECTORY, "us-1", "us", "eu-1", new Random(1));

    assertEquals(uri("us-2"), order.peers().get(0));
    assertEquals(Set.of(uri("eu-2"), uri("eu-3")), Set.copyOf(order.peers().subList(1, 3)));
    assertEquals(List.of(uri("eu-1")), order.lastResort());
  }

  @Test
  void withoutAKnownOriginThereIsNoPeerOfLastResort() {
    FetchOrder order = FetchOrder.of(DIRECTORY, "us-1", "us", "gone", new Random(1));

    assertTrue(order.lastResort().isEmpty());
    assertEquals(4, order.peers().size());
  }

  @Test
  void eachGroupIsShuffledSoPullsSpreadOverTheHolders() {
    Set<URI> firsts = new HashSet<>();
    Random random = new Random(42);
    for (int i = 0; i < 50; i++) {
      firsts.add(FetchOrder.of(DIRECTORY, "eu-1", "eu", "none", random).peers().get(0));
    }
    assertEquals(Set.of(uri("eu-2"), uri("eu-3")), firsts);
  }
}
