package dev.edgeweave.deploy.internal;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Paths inside an app bundle: always relative, '/'-separated, never leaving the bundle root. */
public final class BundlePaths {

  private BundlePaths() {}

  /**
   * The normalised form of a bundle-relative path ("./a/../b.txt" becomes "b.txt"), or empty when
   * the path is absolute, uses '\', or climbs out of the bundle with "..".
   */
  public static Optional<String> normalize(String path) {
    if (path.isEmpty()
        || path.startsWith("/")
        || path.indexOf('\\') >= 0
        || path.indexOf('\0') >= 0
        || path.matches("^[A-Za-z]:.*")) {
      return Optional.empty();
    }
    Deque<String> parts = new ArrayDeque<>();
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (parts.isEmpty()) {
          return Optional.empty();
        }
        parts.removeLast();
      } else {
        parts.addLast(part);
      }
    }
    return Optional.of(String.join("/", parts));
  }

  /**
   * A path of {@code paths} that another one has as a directory ({@code a} and {@code a/b}), as
   * {@code [file, path below it]}; paths are '/'-separated, with or without a leading '/'.
   */
  public static Optional<String[]> fileAboveFile(Collection<String> paths) {
    Set<String> all = paths instanceof Set<String> set ? set : new HashSet<>(paths);
    for (String path : paths) {
      for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
        String parent = path.substring(0, i);
        if (all.contains(parent)) {
          return Optional.of(new String[] {parent, path});
        }
      }
    }
    return Optional.empty();
  }

  /** True when {@code glob} uses any of the glob metacharacters {@code * ? [}. */
  public static boolean isGlob(String glob) {
    return glob.indexOf('*') >= 0 || glob.indexOf('?') >= 0 || glob.indexOf('[') >= 0;
  }

  /**
   * Compiles a Spin files glob: {@code *} and {@code ?} stay within one path segment, {@code **} as
   * a whole segment spans any number of segments, {@code [abc]} / {@code [!abc]} are classes.
   */
  public static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    String g = glob.startsWith("./") ? glob.substring(2) : glob;
    int i = 0;
    while (i < g.length()) {
      char c = g.charAt(i);
      boolean segmentStart = i == 0 || g.charAt(i - 1) == '/';
      if (c == '*' && i + 1 < g.length() && g.charAt(i + 1) == '*' && segmentStart) {
        boolean last = i + 2 == g.length();
        if (last) {
          re.append(".*");
          i += 2;
          continue;
        }
        if (g.charAt(i + 2) == '/') {
          re.append("(?:.*/)?");
          i += 3;
          continue;
        }
      }
      switch (c) {
        case '*' -> re.append("[^/]*");
        case '?' -> re.append("[^/]");
        case '[' -> {
          int close = g.indexOf(']', i + 2);
          if (close < 0) {
            re.append("\\[");
          } else {
            String body = g.substring(i + 1, close);
            if (body.startsWith("!")) {
              body = "^" + body.substring(1);
            }
            re.append('[').append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
            i = close;
          }
        }
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
      i++;
    }
    return Pattern.compile(re.toString());
  }
}
