package dev.edgeweave.deploy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A component's {@code [component.X.build]}: kept so tools can show it; the platform never runs it
 * (apps are uploaded already built).
 */
public record BuildConfig(List<String> commands, Optional<String> workdir, List<String> watch) {

  public BuildConfig {
    commands = List.copyOf(commands);
    Objects.requireNonNull(workdir, "workdir");
    watch = List.copyOf(watch);
  }
}
