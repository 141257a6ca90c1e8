package dev.edgeweave.ingress;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Objects;

/**
 * How the ingress picks where a request runs ({@code edgeweave.ingress.routing}).
 *
 * @param ackTimeout how long a safe request (GET, HEAD, OPTIONS) sent to an entity may go
 *     unacknowledged before it runs at the next target instead
 */
public record RoutingSettings(Duration ackTimeout) {

  public RoutingSettings {
    Objects.requireNonNull(ackTimeout, "ackTimeout");
    if (ackTimeout.isNegative() || ackTimeout.isZero()) {
      throw new IllegalArgumentException(
          "edgeweave.ingress.routing.ack-timeout must be positive, was " + ackTimeout);
    }
  }

  public static RoutingSettings fromConfig(Config root) {
    return new RoutingSettings(root.getDuration("edgeweave.ingress.routing.ack-timeout"));
  }
}
