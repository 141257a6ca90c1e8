package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;

/**
 * Node-wide settings of an {@link OutboundHttpClient}.
 *
 * @param maxConcurrentRequests outbound requests in flight on this node at once, all guests
 *     together; a request past it fails at once with {@code BUSY}
 * @param connectTimeout how long connecting to a host may take
 * @param nodePorts this node's own ports (admin API, peer blob server, cluster transport) and what
 *     each is: a request to one of them on an address of this machine is {@code DENIED}, whatever
 *     the allow-list says
 * @param ingressPort this node's public HTTP port (-1: none): a request to it on an address of this
 *     machine is {@code DENIED} unless the component's app may call it ({@link
 *     OutboundHttpClient#forComponent}), so that apps do not call each other (or themselves) by
 *     accident
 */
public record OutboundConfig(
    int maxConcurrentRequests,
    Duration connectTimeout,
    Map<Integer, String> nodePorts,
    int ingressPort) {
  public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 256;
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  public OutboundConfig {
    if (maxConcurrentRequests < 1 || maxConcurrentRequests > 1_000_000) {
      throw new IllegalArgumentException(
          "maxConcurrentRequests must be in [1, 1000000], was " + maxConcurrentRequests);
    }
    requireNonNull(connectTimeout, "connectTimeout");
    if (connectTimeout.compareTo(Duration.ofMillis(1)) < 0
        || connectTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException(
          "connectTimeout must be in [1 ms, 10 min], was " + connectTimeout);
    }
    nodePorts = Map.copyOf(nodePorts);
    for (int port : nodePorts.keySet()) {
      checkPort(port, "nodePorts");
    }
    if (ingressPort != -1) {
      checkPort(ingressPort, "ingressPort");
    }
  }

  private static void checkPort(int port, String what) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + ": port must be in [0, 65535], was " + port);
    }
  }

  /** 256 concurrent requests, 5 s to connect, no ports of the node known. */
  public static OutboundConfig defaults() {
    return new OutboundConfig(
        DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_CONNECT_TIMEOUT, Map.of(), -1);
  }

  public OutboundConfig withMaxConcurrentRequests(int maxConcurrentRequests) {
    return new OutboundConfig(maxConcurrentRequests, connectTimeout, nodePorts, ingressPort);
  }

  public OutboundConfig withConnectTimeout(Duration connectTimeout) {
    return new OutboundConfig(maxConcurrentRequests, connectTimeout, nodePorts, ingressPort);
  }

  public OutboundConfig withNodePorts(Map<Integer, String> nodePorts) {
    return new OutboundConfig(maxConcurrentRequests, connectTimeout, nodePorts, ingressPort);
  }

  public OutboundConfig withIngressPort(int ingressPort) {
    return new OutboundConfig(maxConcurrentRequests, connectTimeout, nodePorts, ingressPort);
  }
}
