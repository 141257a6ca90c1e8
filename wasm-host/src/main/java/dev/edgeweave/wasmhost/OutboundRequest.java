package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.List;

/** An HTTP request a guest sends: its body is shared, not copied. */
public record OutboundRequest(String method, URI uri, List<Header> headers, byte[] body) {
  public OutboundRequest {
    requireNonNull(method, "method");
    requireNonNull(uri, "uri");
    headers = List.copyOf(headers);
    requireNonNull(body, "body");
  }
}
