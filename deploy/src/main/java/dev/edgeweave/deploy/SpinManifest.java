package dev.edgeweave.deploy;

import dev.edgeweave.deploy.internal.ManifestParser;
import java.util.Objects;

/**
 * Reads spin.toml (manifest version 2) into an {@link AppManifest}, keeping only what this platform
 * can run: HTTP triggers with the WAGI executor. Everything else is rejected with an error that
 * names the field, and the component where there is one. Unknown keys are errors, as in Spin
 * ({@code deny_unknown_fields}).
 */
public final class SpinManifest {

  /** The only {@code spin_manifest_version} accepted. */
  public static final int SUPPORTED_VERSION = 2;

  /** Longest application name: it names the app in URLs, on disk and in cluster keys. */
  public static final int MAX_APP_NAME_LENGTH = 63;

  private SpinManifest() {}

  /**
   * Parses and validates the text of a spin.toml.
   *
   * @throws ManifestException listing every problem found, one per line
   */
  public static AppManifest parse(String toml) throws ManifestException {
    Objects.requireNonNull(toml, "toml");
    return new ManifestParser().parse(toml);
  }
}
