package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

/** One HTTP header field, as received or as produced by a guest. */
public record Header(String name, String value) {
  public Header {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("header name must not be empty");
    }
  }
}
