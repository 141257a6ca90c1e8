package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

/**
 * A key-value call that failed, as a {@link KvCapability} reports it; the {@code weave} ABI answers
 * the guest with the status of its {@link Kind}. Stores complete their stages exceptionally with
 * it.
 */
public final class KvFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Spin's key-value errors, and the more precise ones that Spin reports as {@code other}. */
  public enum Kind {
    NO_SUCH_STORE,
    ACCESS_DENIED,
    STORE_TABLE_FULL,
    OTHER,
    KEY_TOO_LARGE,
    VALUE_TOO_LARGE,
    RATE_LIMITED,
    NOT_A_COUNTER,
    /** The store could not reach its consistency in time; the write may still be applied. */
    UNAVAILABLE
  }

  private final Kind kind;

  public KvFailure(Kind kind, String message) {
    super(message);
    this.kind = requireNonNull(kind, "kind");
  }

  public KvFailure(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }
}
