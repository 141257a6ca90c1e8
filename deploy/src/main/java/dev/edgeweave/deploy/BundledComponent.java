package dev.edgeweave.deploy;

import java.util.Map;
import java.util.Objects;

/**
 * A component as found in a bundle: its module bytes and the files it may read, keyed by guest
 * absolute path ("/static/a.txt"), and where each of those files is in the bundle ({@code
 * filePaths}: guest path to bundle-relative path). Arrays are shared, not copied: treat them as
 * read-only.
 */
public record BundledComponent(
    String id,
    String source,
    byte[] module,
    Map<String, byte[]> files,
    Map<String, String> filePaths) {

  public BundledComponent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(module, "module");
    files = ComponentManifest.orderedCopy(files);
    filePaths = ComponentManifest.orderedCopy(filePaths);
  }
}
