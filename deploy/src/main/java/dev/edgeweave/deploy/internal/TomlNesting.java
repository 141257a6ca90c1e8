package dev.edgeweave.deploy.internal;

import java.util.OptionalInt;

/**
 * How deep arrays and inline tables nest in a TOML text, found without parsing it. The TOML parser
 * recurses once per level, so a hostile manifest of a few kilobytes of {@code [} exhausts the stack
 * of the thread reading it; such a text is refused before it reaches the parser.
 */
final class TomlNesting {

  private TomlNesting() {}

  /**
   * The 1-based line where nesting first goes deeper than {@code max}, or empty. Brackets inside
   * strings (basic, literal, multi-line) and comments do not count; a table header such as {@code
   * [[trigger.http]]} opens and closes on its line.
   */
  static OptionalInt lineDeeperThan(String toml, int max) {
    int depth = 0;
    int line = 1;
    int i = 0;
    int n = toml.length();
    while (i < n) {
      char c = toml.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (c == '#') {
        while (i < n && toml.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '"' || c == '\'') {
        boolean multi = toml.startsWith(c == '"' ? "\"\"\"" : "'''", i);
        int end = skipString(toml, i, c, multi);
        line += count(toml, i, end, '\n');
        i = end;
      } else {
        if (c == '[' || c == '{') {
          depth++;
          if (depth > max) {
            return OptionalInt.of(line);
          }
        } else if ((c == ']' || c == '}') && depth > 0) {
          depth--;
        }
        i++;
      }
    }
    return OptionalInt.empty();
  }

  /** The index just past the string starting at {@code start} (or the end of the text). */
  private static int skipString(String toml, int start, char quote, boolean multi) {
    int n = toml.length();
    int i = start + (multi ? 3 : 1);
    while (i < n) {
      char c = toml.charAt(i);
      if (quote == '"' && c == '\\') {
        i += 2;
      } else if (multi) {
        if (c == quote && toml.startsWith(multi(quote), i)) {
          return i + 3;
        }
        i++;
      } else if (c == quote || c == '\n') {
        // A single-line string ends at its quote; at a newline it is broken, and the parser says
        // so.
        return c == quote ? i + 1 : i;
      } else {
        i++;
      }
    }
    return n;
  }

  private static String multi(char quote) {
    return quote == '"' ? "\"\"\"" : "'''";
  }

  private static int count(String s, int from, int to, char c) {
    int found = 0;
    for (int i = from; i < Math.min(to, s.length()); i++) {
      if (s.charAt(i) == c) {
        found++;
      }
    }
    return found;
  }
}
