package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

/**
 * What a component may reach through the {@code weave} host ABI besides WASI: its key-value stores
 * and its variables. Denied by default ({@link #NONE}).
 */
public record Capabilities(KvCapability kv, Variables variables) {
  public static final Capabilities NONE = new Capabilities(KvCapability.NONE, Variables.NONE);

  public Capabilities {
    requireNonNull(kv, "kv");
    requireNonNull(variables, "variables");
  }
}
