package dev.edgeweave.deploy;

import java.util.Map;
import java.util.Objects;

/**
 * A component as found in a bundle: its module bytes and the files it may read, keyed by guest
 * absolute path ("/static/a.txt"). Arrays are shared, not copied: treat them as read-only.
 */
public record BundledComponent(String id, String source, byte[] module, Map<String, byte[]> files) {

  public BundledComponent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(module, "module");
    files = ComponentManifest.orderedCopy(files);
  }
}
