package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a component needs to run, independent of spin.toml.
 *
 * @param id component id, used in every error message
 * @param environment variables added to the guest's environment
 * @param files guest absolute path (e.g. {@code /static/a.txt}) to content; served under the
 *     preopened directory {@code /}, read-only unless {@code transientWrites}. The arrays are
 *     shared, not copied (and never written): do not change them afterwards.
 * @param argvTemplate WAGI argv, {@code ${SCRIPT_NAME}} and {@code ${ARGS}} substituted, split on
 *     spaces
 * @param entrypoint the exported function to call
 * @param limits per-invocation limits
 * @param transientWrites whether the guest sees its files writable (Spin's {@code
 *     --allow-transient-write}): its changes live in a copy-on-write overlay of that one
 *     invocation, bounded by {@link Limits#maxTransientWriteBytes()}, and are discarded when it
 *     ends; without it every change is refused with EPERM, as the reference hosts refuse it on a
 *     read-only preopen
 * @param capabilities what the guest may reach through the {@code weave} host ABI (its key-value
 *     stores and variables); {@link Capabilities#NONE} by default
 */
public record ComponentSpec(
    String id,
    Map<String, String> environment,
    Map<String, byte[]> files,
    String argvTemplate,
    String entrypoint,
    Limits limits,
    boolean transientWrites,
    Capabilities capabilities) {
  public static final String DEFAULT_ARGV_TEMPLATE = "${SCRIPT_NAME} ${ARGS}";
  public static final String DEFAULT_ENTRYPOINT = "_start";

  public ComponentSpec {
    requireNonNull(id, "id");
    if (id.isBlank()) {
      throw new IllegalArgumentException("component id must not be blank");
    }
    environment = Map.copyOf(requireNonNull(environment, "environment"));
    for (String name : environment.keySet()) {
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "component '" + id + "': invalid environment variable name '" + name + "'");
      }
    }
    files = Map.copyOf(requireNonNull(files, "files"));
    for (String path : files.keySet()) {
      checkFilePath(id, path, files);
    }
    requireNonNull(argvTemplate, "argvTemplate");
    requireNonNull(entrypoint, "entrypoint");
    if (entrypoint.isEmpty()) {
      throw new IllegalArgumentException("component '" + id + "': entrypoint must not be empty");
    }
    requireNonNull(limits, "limits");
    requireNonNull(capabilities, "capabilities");
  }

  /** A component without capabilities ({@link Capabilities#NONE}). */
  public ComponentSpec(
      String id,
      Map<String, String> environment,
      Map<String, byte[]> files,
      String argvTemplate,
      String entrypoint,
      Limits limits,
      boolean transientWrites) {
    this(
        id,
        environment,
        files,
        argvTemplate,
        entrypoint,
        limits,
        transientWrites,
        Capabilities.NONE);
  }

  public static Builder builder(String id) {
    return new Builder(id);
  }

  public ComponentSpec withLimits(Limits limits) {
    return new ComponentSpec(
        id, environment, files, argvTemplate, entrypoint, limits, transientWrites, capabilities);
  }

  public ComponentSpec withTransientWrites(boolean transientWrites) {
    return new ComponentSpec(
        id, environment, files, argvTemplate, entrypoint, limits, transientWrites, capabilities);
  }

  public ComponentSpec withCapabilities(Capabilities capabilities) {
    return new ComponentSpec(
        id, environment, files, argvTemplate, entrypoint, limits, transientWrites, capabilities);
  }

  private static void checkFilePath(String id, String path, Map<String, byte[]> files) {
    boolean valid = path.length() > 1 && path.charAt(0) == '/' && path.indexOf('\0') < 0;
    if (valid) {
      for (String segment : path.substring(1).split("/", -1)) {
        if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
          valid = false;
          break;
        }
      }
    }
    if (!valid) {
      throw new IllegalArgumentException(
          "component '"
              + id
              + "': file path '"
              + path
              + "' must be absolute and normalized (no empty, '.' or '..' segments)");
    }
    for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
      if (files.containsKey(path.substring(0, i))) {
        throw new IllegalArgumentException(
            "component '"
                + id
                + "': '"
                + path.substring(0, i)
                + "' is a file but also a directory of '"
                + path
                + "'");
      }
    }
  }

  /**
   * Builds a {@link ComponentSpec} with the default argv, entrypoint and limits, read-only files.
   */
  public static final class Builder {
    private final String id;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private String argvTemplate = DEFAULT_ARGV_TEMPLATE;
    private String entrypoint = DEFAULT_ENTRYPOINT;
    private Limits limits = Limits.defaults();
    private boolean transientWrites;
    private Capabilities capabilities = Capabilities.NONE;

    private Builder(String id) {
      this.id = id;
    }

    public Builder withEnvironment(Map<String, String> environment) {
      this.environment.putAll(environment);
      return this;
    }

    public Builder withEnv(String name, String value) {
      environment.put(name, value);
      return this;
    }

    public Builder withFiles(Map<String, byte[]> files) {
      this.files.putAll(files);
      return this;
    }

    public Builder withFile(String path, byte[] content) {
      files.put(path, content);
      return this;
    }

    public Builder withArgvTemplate(String argvTemplate) {
      this.argvTemplate = argvTemplate;
      return this;
    }

    public Builder withEntrypoint(String entrypoint) {
      this.entrypoint = entrypoint;
      return this;
    }

    public Builder withLimits(Limits limits) {
      this.limits = limits;
      return this;
    }

    /** Lets the guest write its files, per invocation; see {@link ComponentSpec}. */
    public Builder withTransientWrites(boolean transientWrites) {
      this.transientWrites = transientWrites;
      return this;
    }

    /** What the guest may reach through the {@code weave} ABI; see {@link ComponentSpec}. */
    public Builder withCapabilities(Capabilities capabilities) {
      this.capabilities = capabilities;
      return this;
    }

    public ComponentSpec build() {
      return new ComponentSpec(
          id, environment, files, argvTemplate, entrypoint, limits, transientWrites, capabilities);
    }
  }
}
