package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

/**
 * A guest invocation that did not produce a response. The message names the component and carries
 * the details for the node's log (such as the tail of the guest's stderr); {@link #publicReason()}
 * is the short reason without them.
 */
public final class GuestException extends Exception {
  private static final long serialVersionUID = 1L;

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
    EXIT,
    /**
     * The host failed while running the guest (a JVM error such as running out of heap); the
     * guest's memory was discarded and the node goes on serving.
     */
    INTERNAL
  }

  private final Kind kind;
  private final String component;
  private final String publicReason;

  public GuestException(Kind kind, String component, String reason) {
    this(kind, component, reason, "", null);
  }

  public GuestException(Kind kind, String component, String reason, Throwable cause) {
    this(kind, component, reason, "", cause);
  }

  /**
   * @param reason the short reason, fit to be shown to whoever made the request
   * @param details appended to the message only, for the node's log (e.g. "; stderr: ...")
   */
  public GuestException(
      Kind kind, String component, String reason, String details, Throwable cause) {
    super(
        "component '"
            + requireNonNull(component, "component")
            + "': "
            + requireNonNull(reason, "reason")
            + requireNonNull(details, "details"),
        cause);
    this.kind = requireNonNull(kind, "kind");
    this.component = component;
    this.publicReason = reason;
  }

  public Kind kind() {
    return kind;
  }

  public String component() {
    return component;
  }

  /** The reason without details meant only for the node's log: no stderr, no host exception. */
  public String publicReason() {
    return publicReason;
  }
}
