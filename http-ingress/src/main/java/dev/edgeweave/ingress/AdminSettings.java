package dev.edgeweave.ingress;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Objects;

/** Settings of the admin API ({@code edgeweave.admin}); the token is resolved by the node. */
public record AdminSettings(
    String host,
    int port,
    String token,
    long maxBundleBytes,
    Duration deployTimeout,
    Duration statusTimeout) {

  /** A shorter bearer token is too easy to guess. */
  public static final int MIN_TOKEN_LENGTH = 16;

  public AdminSettings {
    Objects.requireNonNull(token, "token");
    if (token.length() < MIN_TOKEN_LENGTH) {
      throw new IllegalArgumentException(
          "admin token must have at least " + MIN_TOKEN_LENGTH + " characters");
    }
  }

  public static AdminSettings fromConfig(Config root, String token) {
    Config c = root.getConfig("edgeweave.admin");
    return new AdminSettings(
        c.getString("host"),
        c.getInt("port"),
        token,
        c.getBytes("max-bundle-bytes"),
        c.getDuration("deploy-timeout"),
        c.getDuration("status-timeout"));
  }
}
