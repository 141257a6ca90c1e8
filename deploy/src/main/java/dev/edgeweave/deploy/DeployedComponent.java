package dev.edgeweave.deploy;

import java.util.Map;
import java.util.Objects;

/**
 * A component of a deployed app, with everything the engine needs to run it. {@code moduleDigest}
 * is the lower-case hex SHA-256 of {@code module}; {@code files} maps guest absolute paths to
 * bytes. Arrays are shared, not copied: treat them as read-only.
 */
public record DeployedComponent(
    String id,
    String moduleDigest,
    byte[] module,
    Map<String, byte[]> files,
    Map<String, String> environment) {

  public DeployedComponent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(moduleDigest, "moduleDigest");
    Objects.requireNonNull(module, "module");
    files = ComponentManifest.orderedCopy(files);
    environment = ComponentManifest.orderedCopy(environment);
  }
}
