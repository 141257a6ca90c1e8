package dev.edgeweave.wasmhost;

/**
 * The key-value stores one component may open: the labels it declared, of its own app only. The
 * node provides it through {@link ComponentSpec#capabilities()}; the engine calls it on the guest's
 * thread.
 */
@FunctionalInterface
public interface KvCapability {
  /** No store at all: every label is {@code ACCESS_DENIED}. */
  KvCapability NONE =
      label -> {
        throw new KvFailure(
            KvFailure.Kind.ACCESS_DENIED,
            "no key-value store is available to this component (asked for '" + label + "')");
      };

  /**
   * The store {@code label}.
   *
   * @throws KvFailure {@code ACCESS_DENIED} when the component did not declare the label, {@code
   *     NO_SUCH_STORE} when the node offers no such store to the app
   */
  KvStoreHandle open(String label);
}
