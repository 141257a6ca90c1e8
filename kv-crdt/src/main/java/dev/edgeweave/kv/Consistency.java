package dev.edgeweave.kv;

/** How many replicas a call waits for. Every level reads its own writes on the node that wrote. */
public enum Consistency {
  /** This node only (durably stored here); other nodes learn of it within the gossip interval. */
  LOCAL,
  /** A majority of the nodes in this node's location (Pekko data center), this node included. */
  LOCATION_MAJORITY,
  /** A majority of all nodes in every location. */
  MAJORITY;

  /** Parses the config form: {@code local}, {@code location-majority}, {@code majority}. */
  public static Consistency parse(String s) {
    return switch (s) {
      case "local" -> LOCAL;
      case "location-majority" -> LOCATION_MAJORITY;
      case "majority" -> MAJORITY;
      default ->
          throw new IllegalArgumentException(
              "consistency must be local, location-majority or majority: " + s);
    };
  }
}
