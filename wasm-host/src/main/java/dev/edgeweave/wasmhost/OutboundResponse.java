package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** The response to an {@link OutboundRequest}; its body is shared, not copied. */
public record OutboundResponse(int status, List<Header> headers, byte[] body) {
  public OutboundResponse {
    headers = List.copyOf(headers);
    requireNonNull(body, "body");
  }
}
