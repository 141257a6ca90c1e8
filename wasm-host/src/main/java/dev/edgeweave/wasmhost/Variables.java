package dev.edgeweave.wasmhost;

import java.util.Map;
import java.util.Optional;

/** The values of the variables a component declared, resolved by the node. */
@FunctionalInterface
public interface Variables {
  /** No variables. */
  Variables NONE = name -> Optional.empty();

  /** The value of {@code name}, or empty if the component has no such variable. */
  Optional<String> get(String name);

  /** The variables of a map (copied). */
  static Variables of(Map<String, String> values) {
    Map<String, String> copy = Map.copyOf(values);
    return name -> Optional.ofNullable(copy.get(name));
  }
}
