package dev.edgeweave.deploy;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One release of an app as the repository holds it. {@code digest} is the lower-case hex SHA-256 of
 * its release record: it changes with every deployment, even of the same files.
 */
public record DeployedApp(
    String name,
    String digest,
    AppManifest manifest,
    RouteTable routes,
    Map<String, DeployedComponent> components,
    Instant deployedAt) {

  public DeployedApp {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(routes, "routes");
    components = ComponentManifest.orderedCopy(components);
    Objects.requireNonNull(deployedAt, "deployedAt");
  }

  /** Every blob this release needs: its release record, its modules and its files. */
  public Set<String> blobs() {
    Set<String> blobs = new TreeSet<>();
    blobs.add(digest);
    for (DeployedComponent c : components.values()) {
      blobs.add(c.moduleDigest());
      blobs.addAll(c.files().values());
    }
    return blobs;
  }
}
