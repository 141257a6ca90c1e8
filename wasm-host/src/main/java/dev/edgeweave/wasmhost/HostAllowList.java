package dev.edgeweave.wasmhost;

/**
 * The hosts a component declared it reaches (spin.toml {@code allowed_outbound_hosts}), as the node
 * parsed them. It never resolves a name: it judges the URL as written.
 */
@FunctionalInterface
public interface HostAllowList {
  /** Allows nothing. */
  HostAllowList NONE = (scheme, host, port) -> false;

  /**
   * Whether {@code scheme://host:port} is allowed; {@code host} as the URL writes it (IPv6 in
   * brackets), {@code port} the URL's or the scheme's default.
   */
  boolean allows(String scheme, String host, int port);
}
