package dev.edgeweave.deploy;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed and validated spin.toml (manifest version 2). {@code base} is {@code [application
 * .trigger.http] base}, normalised to start with '/' and not end with one ("/" when absent).
 */
public record AppManifest(
    String name,
    String version,
    String description,
    List<HttpTrigger> triggers,
    Map<String, ComponentManifest> components,
    Map<String, VariableDecl> variables,
    List<String> authors,
    String base) {

  public AppManifest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(description, "description");
    triggers = List.copyOf(triggers);
    components = ComponentManifest.orderedCopy(components);
    variables = ComponentManifest.orderedCopy(variables);
    authors = List.copyOf(authors);
    Objects.requireNonNull(base, "base");
  }
}
