package dev.edgeweave.deploy;

import java.util.Map;
import java.util.Objects;

/**
 * A component of a deployed app, as the repository keeps it in memory: what its module and files
 * are, by digest, not their content, which stays in the blob store until a function is prepared
 * ({@link AppRepository#blob(String)}). {@code moduleDigest} and the values of {@code files} are
 * lower-case hex SHA-256; {@code files} maps guest absolute paths to them.
 */
public record DeployedComponent(
    String id, String moduleDigest, Map<String, String> files, Map<String, String> environment) {

  public DeployedComponent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(moduleDigest, "moduleDigest");
    files = ComponentManifest.orderedCopy(files);
    environment = ComponentManifest.orderedCopy(environment);
  }
}
