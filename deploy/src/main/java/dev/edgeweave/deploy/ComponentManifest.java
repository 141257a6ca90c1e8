package dev.edgeweave.deploy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code [component.X]} (or an inline component of a trigger, given a generated id).
 *
 * <p>{@code keyValueStores} are the labels of the app's key-value stores the component may open
 * (any other is denied). {@code allowedOutboundHosts} are the hosts it may send HTTP requests to,
 * in Spin's syntax, checked at parse ({@link #outboundHosts()}). {@code variables} maps a component
 * variable to its template (e.g. {@code "https://{{ host }}/"}). {@code allowTransientWrite} is
 * {@code [component.<id>.tool.edgeweave] allow_transient_write}: the component sees its files
 * writable, each request in its own discarded overlay.
 */
public record ComponentManifest(
    String id,
    String source,
    List<FileMount> files,
    List<String> excludeFiles,
    Map<String, String> environment,
    Map<String, String> variables,
    List<String> allowedOutboundHosts,
    List<String> keyValueStores,
    Optional<BuildConfig> build,
    String description,
    boolean allowTransientWrite) {

  public ComponentManifest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
    files = List.copyOf(files);
    excludeFiles = List.copyOf(excludeFiles);
    environment = orderedCopy(environment);
    variables = orderedCopy(variables);
    allowedOutboundHosts = List.copyOf(allowedOutboundHosts);
    keyValueStores = List.copyOf(keyValueStores);
    Objects.requireNonNull(build, "build");
    Objects.requireNonNull(description, "description");
  }

  /** A component whose files are read-only. */
  public ComponentManifest(
      String id,
      String source,
      List<FileMount> files,
      List<String> excludeFiles,
      Map<String, String> environment,
      Map<String, String> variables,
      List<String> allowedOutboundHosts,
      List<String> keyValueStores,
      Optional<BuildConfig> build,
      String description) {
    this(
        id,
        source,
        files,
        excludeFiles,
        environment,
        variables,
        allowedOutboundHosts,
        keyValueStores,
        build,
        description,
        false);
  }

  /** The hosts this component may reach, parsed; every entry was checked when it was parsed. */
  public OutboundHosts outboundHosts() {
    return OutboundHosts.parse(allowedOutboundHosts);
  }

  /** A component with only a module: no files, environment or variables. */
  public static ComponentManifest of(String id, String source) {
    return new ComponentManifest(
        id,
        source,
        List.of(),
        List.of(),
        Map.of(),
        Map.of(),
        List.of(),
        List.of(),
        Optional.empty(),
        "");
  }

  // Keeps declaration order (what a reader of spin.toml expects) while staying unmodifiable.
  static <V> Map<String, V> orderedCopy(Map<String, V> map) {
    Objects.requireNonNull(map, "map");
    Map<String, V> copy = new LinkedHashMap<>();
    map.forEach(
        (k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value")));
    return Collections.unmodifiableMap(copy);
  }
}
