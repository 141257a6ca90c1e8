package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

/**
 * An outbound HTTP request that was refused or failed; the {@code weave} ABI answers the guest with
 * the status of its {@link Kind} and writes the message (naming the component and the host) to its
 * stderr.
 */
public final class OutboundFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a request did not produce a response. */
  public enum Kind {
    /** The component may not reach the host (allow-list), or it is one of the node's own ports. */
    DENIED,
    /** Not a request the host can send (method, URL, header). */
    INVALID_REQUEST,
    TIMEOUT,
    REQUEST_TOO_LARGE,
    RESPONSE_TOO_LARGE,
    /** The invocation sent as many requests as it may. */
    TOO_MANY_REQUESTS,
    /** The node has as many outbound requests in flight as it allows. */
    BUSY,
    /** Name resolution, connection, TLS or the exchange failed. */
    CONNECTION_FAILED
  }

  private final Kind kind;

  public OutboundFailure(Kind kind, String message) {
    super(message);
    this.kind = requireNonNull(kind, "kind");
  }

  public OutboundFailure(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }
}
