package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

/**
 * The node a guest runs on: its location and its name ({@code X_WEAVE_LOCATION}, {@code
 * X_WEAVE_NODE} in the WAGI environment). Empty strings when the host does not say.
 */
public record NodeIdentity(String location, String node) {

  /** A host that does not say where it runs. */
  public static final NodeIdentity UNKNOWN = new NodeIdentity("", "");

  public NodeIdentity {
    requireNonNull(location, "location");
    requireNonNull(node, "node");
  }
}
