package dev.edgeweave.deploy.internal;

import java.util.Optional;

/** Spin's identifier rules: component ids are lower kebab-case, variable names lower snake. */
final class Ids {

  private Ids() {}

  /** Empty when {@code id} is a valid component id, else why not (completes "id ..."). */
  static Optional<String> kebab(String id) {
    return check(id, '-', '_', "kebab-case");
  }

  /** Empty when {@code name} is a valid variable name, else why not. */
  static Optional<String> snake(String name) {
    return check(name, '_', '-', "snake_case");
  }

  private static Optional<String> check(String id, char delim, char wrong, String style) {
    String rule =
        "'"
            + id
            + "' must be lower "
            + style
            + " (words of a-z and 0-9 joined by '"
            + delim
            + "', starting with a letter)";
    if (id.isEmpty()) {
      return Optional.of("must not be empty");
    }
    if (id.indexOf(wrong) >= 0) {
      return Optional.of(rule + ": words are joined by '" + delim + "', not '" + wrong + "'");
    }
    String[] words = id.split(String.valueOf(delim), -1);
    for (int i = 0; i < words.length; i++) {
      String w = words[i];
      if (w.isEmpty()) {
        return Optional.of(rule + ": found an empty word");
      }
      char first = w.charAt(0);
      if (!(isLower(first) || i > 0 && isDigit(first))) {
        return Optional.of(rule);
      }
      for (int j = 1; j < w.length(); j++) {
        if (!isLower(w.charAt(j)) && !isDigit(w.charAt(j))) {
          return Optional.of(rule);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean isLower(char c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
