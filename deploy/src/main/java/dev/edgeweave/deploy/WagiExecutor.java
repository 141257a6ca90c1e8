package dev.edgeweave.deploy;

import java.util.Objects;

/**
 * Spin's {@code executor = { type = "wagi", argv = "...", entrypoint = "..." }}: the guest is a
 * plain wasm32-wasi command run as a CGI script.
 */
public record WagiExecutor(String argv, String entrypoint) {

  /** Spin's default argv: the script name, then the query string split at '&amp;'. */
  public static final String DEFAULT_ARGV = "${SCRIPT_NAME} ${ARGS}";

  /** Spin's default (and deprecated-to-change) entrypoint: the WASI command's start. */
  public static final String DEFAULT_ENTRYPOINT = "_start";

  public WagiExecutor {
    Objects.requireNonNull(argv, "argv");
    Objects.requireNonNull(entrypoint, "entrypoint");
  }

  public static WagiExecutor defaults() {
    return new WagiExecutor(DEFAULT_ARGV, DEFAULT_ENTRYPOINT);
  }
}
