package dev.edgeweave.ingress;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the public ingress ({@code edgeweave.ingress}).
 *
 * @param exposeErrorDetails whether a failure's details (a guest's stderr, exception messages) go
 *     into the public response body too, not only into the node's log; for local development
 */
public record IngressSettings(
    String host,
    int port,
    List<String> domains,
    Duration bodyReadTimeout,
    boolean exposeErrorDetails) {

  public static IngressSettings fromConfig(Config root) {
    Config c = root.getConfig("edgeweave.ingress");
    return new IngressSettings(
        c.getString("host"),
        c.getInt("port"),
        List.copyOf(c.getStringList("domains")),
        c.getDuration("body-read-timeout"),
        c.getBoolean("expose-error-details"));
  }
}
