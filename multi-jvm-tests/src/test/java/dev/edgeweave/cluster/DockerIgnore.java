package dev.edgeweave.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A {@code .dockerignore} as the Docker engine applies it to a build context: patterns in order, a
 * path excluded when the last pattern matching it (or the parent directory of the pattern's depth)
 * is not a {@code !} exception. Understands {@code *}, {@code ?} and {@code **}; a pattern with
 * anything else Docker's matcher reads ({@code [}, {@code \}) fails rather than be misread.
 */
final class DockerIgnore {

  private record Rule(Pattern pattern, int depth, boolean exception, String text) {}

  private final List<Rule> rules;

  private DockerIgnore(List<Rule> rules) {
    this.rules = rules;
  }

  static DockerIgnore read(Path file) throws IOException {
    return Files.exists(file) ? parse(Files.readAllLines(file)) : parse(List.of());
  }

  static DockerIgnore parse(List<String> lines) {
    List<Rule> rules = new ArrayList<>();
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      boolean exception = line.startsWith("!");
      String text = clean(exception ? line.substring(1).strip() : line);
      if (text.contains("[") || text.contains("\\")) {
        throw new IllegalArgumentException("this matcher does not understand: " + raw);
      }
      rules.add(new Rule(glob(text), text.split("/").length, exception, text));
    }
    return new DockerIgnore(rules);
  }

  /** Whether Docker leaves {@code path} (relative to the context, '/'-separated) out. */
  boolean excludes(String path) {
    String[] parts = clean(path).split("/");
    boolean excluded = false;
    for (Rule rule : rules) {
      boolean match = rule.pattern().matcher(String.join("/", parts)).matches();
      if (!match && parts.length > 1 && rule.depth() <= parts.length - 1) {
        // A pattern naming a parent directory covers everything below it.
        match =
            rule.pattern()
                .matcher(String.join("/", List.of(parts).subList(0, rule.depth())))
                .matches();
      }
      if (match) {
        excluded = !rule.exception();
      }
    }
    return excluded;
  }

  /** Whether any exception pattern could re-include something below {@code directory}. */
  boolean mayIncludeBelow(String directory) {
    String prefix = clean(directory) + "/";
    return rules.stream()
        .filter(Rule::exception)
        .anyMatch(
            r -> r.text().contains("*") || r.text().contains("?") || r.text().startsWith(prefix));
  }

  private static String clean(String path) {
    String p = path;
    while (p.startsWith("/") || p.startsWith("./")) {
      p = p.substring(p.startsWith("/") ? 1 : 2);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.replaceAll("/+", "/");
  }

  /** Docker's translation of a pattern into a regular expression over '/'-separated paths. */
  private static Pattern glob(String text) {
    StringBuilder regex = new StringBuilder("^");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '*' && i + 1 < text.length() && text.charAt(i + 1) == '*') {
        i++;
        if (i + 1 < text.length() && text.charAt(i + 1) == '/') {
          i++;
        }
        // "**" (or "**/") matches any number of directories, none included; at the end, all.
        regex.append(i + 1 < text.length() ? "(.*/)?" : ".*");
      } else if (c == '*') {
        regex.append("[^/]*");
      } else if (c == '?') {
        regex.append("[^/]");
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.append("$").toString());
  }
}
