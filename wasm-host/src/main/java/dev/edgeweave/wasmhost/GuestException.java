package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

/** A guest invocation that did not produce a response; the message names the component. */
public final class GuestException extends Exception {
  /** Why the invocation failed. */
  public enum Kind {
    /** The wall-time limit elapsed and the guest was interrupted. */
    TIMEOUT,
    /** The guest died after its memory hit the page limit. */
    MEMORY_LIMIT,
    /** The guest wrote more to stdout than the limit allows. */
    OUTPUT_LIMIT,
    /** The guest trapped (unreachable, out-of-bounds access, stack exhaustion...). */
    TRAP,
    /** The guest ran to completion but its output is not a valid response. */
    BAD_RESPONSE,
    /** The guest exited with a non-zero exit code. */
    EXIT
  }

  private final Kind kind;
  private final String component;

  public GuestException(Kind kind, String component, String reason) {
    this(kind, component, reason, null);
  }

  public GuestException(Kind kind, String component, String reason, Throwable cause) {
    super(
        "component '"
            + requireNonNull(component, "component")
            + "': "
            + requireNonNull(reason, "reason"),
        cause);
    this.kind = requireNonNull(kind, "kind");
    this.component = component;
  }

  public Kind kind() {
    return kind;
  }

  public String component() {
    return component;
  }
}
