package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

/**
 * What a component may reach through the {@code weave} host ABI besides WASI: its key-value stores,
 * its variables and the hosts it may send HTTP requests to. Denied by default ({@link #NONE}).
 */
public record Capabilities(KvCapability kv, Variables variables, OutboundHttp outbound) {
  public static final Capabilities NONE =
      new Capabilities(KvCapability.NONE, Variables.NONE, OutboundHttp.NONE);

  public Capabilities {
    requireNonNull(kv, "kv");
    requireNonNull(variables, "variables");
    requireNonNull(outbound, "outbound");
  }

  /** Stores and variables, no outbound HTTP. */
  public Capabilities(KvCapability kv, Variables variables) {
    this(kv, variables, OutboundHttp.NONE);
  }

  public Capabilities withOutbound(OutboundHttp outbound) {
    return new Capabilities(kv, variables, outbound);
  }
}
