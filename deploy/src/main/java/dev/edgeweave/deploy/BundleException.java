package dev.edgeweave.deploy;

import java.util.List;
import java.util.Objects;

/**
 * An app bundle that cannot be deployed: an invalid manifest, a missing or escaping file, a module
 * that is not Wasm, or a zip over the limits. {@link #errors()} lists every problem.
 */
public final class BundleException extends Exception {

  private final List<String> errors;

  public BundleException(String error) {
    this(List.of(error), null);
  }

  public BundleException(List<String> errors, Throwable cause) {
    super(String.join("\n", nonEmpty(errors)), cause);
    this.errors = List.copyOf(errors);
  }

  /** One line per problem, each naming the component and the path where there is one. */
  public List<String> errors() {
    return errors;
  }

  private static List<String> nonEmpty(List<String> errors) {
    Objects.requireNonNull(errors, "errors");
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a BundleException needs at least one error");
    }
    return errors;
  }
}
