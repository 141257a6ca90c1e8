package dev.edgeweave.deploy;

import java.util.Objects;
import java.util.Optional;

/**
 * One application variable from {@code [variables]}: either it has a default or it is required (a
 * value must come from the node's configuration); {@code secret} marks it for redaction.
 */
public record VariableDecl(
    Optional<String> defaultValue, boolean required, boolean secret, Optional<String> description) {

  public VariableDecl {
    Objects.requireNonNull(defaultValue, "defaultValue");
    Objects.requireNonNull(description, "description");
    if (required == defaultValue.isPresent()) {
      throw new IllegalArgumentException(
          "a variable has either a default or required = true, not "
              + (required ? "both" : "neither"));
    }
  }

  public static VariableDecl withDefault(String value) {
    return new VariableDecl(Optional.of(value), false, false, Optional.empty());
  }

  public static VariableDecl requiredValue() {
    return new VariableDecl(Optional.empty(), true, false, Optional.empty());
  }
}
