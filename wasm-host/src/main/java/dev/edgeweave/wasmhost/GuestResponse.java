package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/** The HTTP response a guest produced. */
public record GuestResponse(int status, List<Header> headers, byte[] body) {
  public GuestResponse {
    if (status < 100 || status > 999) {
      throw new IllegalArgumentException("status must be in [100, 999], was " + status);
    }
    headers = List.copyOf(requireNonNull(headers, "headers"));
    requireNonNull(body, "body");
  }

  /** The first value of the named header, compared case-insensitively. */
  public Optional<String> header(String name) {
    requireNonNull(name, "name");
    for (Header h : headers) {
      if (h.name().equalsIgnoreCase(name)) {
        return Optional.of(h.value());
      }
    }
    return Optional.empty();
  }
}
