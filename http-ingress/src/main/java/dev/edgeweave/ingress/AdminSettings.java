package dev.edgeweave.ingress;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Objects;

/** Settings of the admin API ({@code edgeweave.admin}); the token is resolved by the node. */
public record AdminSettings(
    String host, int port, String token, long maxBundleBytes, Duration deployTimeout) {

  public AdminSettings {
    Objects.requireNonNull(token, "token");
    if (token.length() < 16) {
      throw new IllegalArgumentException("admin token must have at least 16 characters");
    }
  }

  public static AdminSettings fromConfig(Config root, String token) {
    Config c = root.getConfig("edgeweave.admin");
    return new AdminSettings(
        c.getString("host"),
        c.getInt("port"),
        token,
        c.getBytes("max-bundle-bytes"),
        c.getDuration("deploy-timeout"));
  }
}
