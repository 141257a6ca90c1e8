package dev.edgeweave.deploy;

import java.util.List;
import java.util.Objects;

/** A spin.toml that cannot be deployed; {@link #errors()} lists every problem found, in order. */
public final class ManifestException extends Exception {

  private final List<String> errors;

  public ManifestException(List<String> errors) {
    super(String.join("\n", requireSome(errors)));
    this.errors = List.copyOf(errors);
  }

  /** One line per problem, each naming the field (and the component, where there is one). */
  public List<String> errors() {
    return errors;
  }

  private static List<String> requireSome(List<String> errors) {
    Objects.requireNonNull(errors, "errors");
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a ManifestException needs at least one error");
    }
    return errors;
  }
}
