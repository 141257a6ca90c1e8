package dev.edgeweave.ingress;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/** Settings of the public ingress ({@code edgeweave.ingress}). */
public record IngressSettings(
    String host, int port, List<String> domains, Duration bodyReadTimeout) {

  public static IngressSettings fromConfig(Config root) {
    Config c = root.getConfig("edgeweave.ingress");
    return new IngressSettings(
        c.getString("host"),
        c.getInt("port"),
        List.copyOf(c.getStringList("domains")),
        c.getDuration("body-read-timeout"));
  }
}
