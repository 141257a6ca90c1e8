package dev.edgeweave.deploy.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A Spin route parsed into segments: literals, {@code :name} captures and an optional trailing
 * {@code /...} wildcard. Matching works on the raw (still percent-encoded) request path, as Spin
 * does.
 */
public final class RoutePattern {

  /** Marks a trailing wildcard: {@code /hello/...} matches {@code /hello} and everything below. */
  public static final String WILDCARD_SUFFIX = "/...";

  private static final String WILDCARD_SEGMENT = "...";
  private static final Pattern PARAM_NAME = Pattern.compile("[A-Za-z0-9_]+");

  /** Kind order is specificity order: a literal beats a capture, which beats the wildcard. */
  enum Kind {
    LITERAL,
    PARAM,
    WILDCARD
  }

  private record Segment(Kind kind, String text) {}

  private final List<Segment> segments; // without the wildcard
  private final boolean wildcard;

  private RoutePattern(List<Segment> segments, boolean wildcard) {
    this.segments = List.copyOf(segments);
    this.wildcard = wildcard;
  }

  /**
   * Parses a route as written in spin.toml.
   *
   * @throws IllegalArgumentException with a message that completes "route '...' ..." when the route
   *     is not a valid Spin route
   */
  public static RoutePattern parse(String route) {
    Objects.requireNonNull(route, "route");
    if (!route.startsWith("/")) {
      throw new IllegalArgumentException("must start with '/'");
    }
    if (route.contains("?") || route.contains("#")) {
      throw new IllegalArgumentException(
          "must not contain '?' or '#' (a route matches the path only)");
    }
    String body = route.substring(1);
    // Spin strips one trailing slash: "/foo/" is the route "/foo".
    if (body.endsWith("/")) {
      body = body.substring(0, body.length() - 1);
    }
    List<Segment> parsed = new ArrayList<>();
    boolean wildcard = false;
    if (!body.isEmpty()) {
      String[] parts = body.split("/", -1);
      for (int i = 0; i < parts.length; i++) {
        String part = parts[i];
        if (part.isEmpty()) {
          throw new IllegalArgumentException("must not contain an empty segment ('//')");
        }
        if (part.equals(WILDCARD_SEGMENT)) {
          if (i != parts.length - 1) {
            throw new IllegalArgumentException("may use '...' only as its last segment");
          }
          wildcard = true;
        } else if (part.contains("*")) {
          throw new IllegalArgumentException("must use a trailing '/...' as wildcard, not '*'");
        } else if (part.startsWith(":")) {
          String name = part.substring(1);
          if (!PARAM_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                "has a named segment '"
                    + part
                    + "' whose name is not letters, digits and '_' (it becomes X_PATH_MATCH_"
                    + "<NAME>)");
          }
          parsed.add(new Segment(Kind.PARAM, name));
        } else if (part.contains(WILDCARD_SEGMENT)) {
          throw new IllegalArgumentException("may use '...' only as a whole last segment");
        } else {
          parsed.add(new Segment(Kind.LITERAL, part));
        }
      }
    }
    return new RoutePattern(parsed, wildcard);
  }

  /** A route made only of literal segments (like an application base). */
  public boolean isLiteral() {
    return !wildcard && segments.stream().allMatch(s -> s.kind() == Kind.LITERAL);
  }

  public boolean hasWildcard() {
    return wildcard;
  }

  /** The route with {@code base} (a literal pattern) in front. */
  public RoutePattern under(RoutePattern base) {
    if (!base.isLiteral()) {
      throw new IllegalArgumentException("a base must be literal segments only");
    }
    List<Segment> all = new ArrayList<>(base.segments);
    all.addAll(segments);
    return new RoutePattern(all, wildcard);
  }

  /** The normalised text: no trailing slash, "/" for the root, params and wildcard as written. */
  public String text() {
    StringBuilder sb = new StringBuilder();
    for (Segment s : segments) {
      sb.append('/').append(s.kind() == Kind.PARAM ? ":" + s.text() : s.text());
    }
    if (wildcard) {
      sb.append(WILDCARD_SUFFIX);
    }
    return sb.length() == 0 ? "/" : sb.toString();
  }

  /**
   * The shape of the paths this pattern matches, for spotting two routes that match the same paths:
   * capture names are dropped.
   */
  public String shape() {
    StringBuilder sb = new StringBuilder();
    for (Segment s : segments) {
      sb.append('/').append(s.kind() == Kind.PARAM ? ":" : s.text());
    }
    return wildcard ? sb + WILDCARD_SUFFIX : sb.toString();
  }

  /** What a successful match captured. */
  public record Captures(Map<String, String> params, String rawPathInfo) {}

  /** Matches a raw request path (starting with '/', no query string). */
  public Optional<Captures> match(String path) {
    if (!path.startsWith("/")) {
      return Optional.empty();
    }
    String[] parts = path.substring(1).split("/", -1);
    int count = parts.length;
    if (!wildcard && count > 1 && parts[count - 1].isEmpty()) {
      count--; // like Spin, an exact route also answers its path with one trailing slash
    }
    if (wildcard ? count < segments.size() : count != Math.max(segments.size(), 1)) {
      return Optional.empty();
    }
    if (!wildcard && segments.isEmpty()) {
      return parts[0].isEmpty() ? Optional.of(new Captures(Map.of(), "")) : Optional.empty();
    }
    Map<String, String> params = new LinkedHashMap<>();
    int consumed = 0; // characters of path covered by the fixed segments
    for (int i = 0; i < segments.size(); i++) {
      Segment s = segments.get(i);
      String part = parts[i];
      if (s.kind() == Kind.LITERAL ? !s.text().equals(part) : part.isEmpty()) {
        return Optional.empty();
      }
      if (s.kind() == Kind.PARAM) {
        params.put(s.text(), part);
      }
      consumed += 1 + part.length();
    }
    String rest = wildcard ? path.substring(consumed) : "";
    return Optional.of(new Captures(Collections.unmodifiableMap(params), rest));
  }

  /**
   * Negative when this pattern is more specific than {@code other}: at the first segment where the
   * kinds differ, literal beats capture beats wildcard; with no difference, the shorter pattern (an
   * exact route against its own wildcard) wins.
   */
  public int compareSpecificity(RoutePattern other) {
    List<Kind> mine = kinds();
    List<Kind> theirs = other.kinds();
    for (int i = 0; i < Math.min(mine.size(), theirs.size()); i++) {
      int c = mine.get(i).compareTo(theirs.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(mine.size(), theirs.size());
  }

  private List<Kind> kinds() {
    List<Kind> kinds = new ArrayList<>();
    segments.forEach(s -> kinds.add(s.kind()));
    if (wildcard) {
      kinds.add(Kind.WILDCARD);
    }
    return kinds;
  }

  @Override
  public String toString() {
    return text();
  }
}
