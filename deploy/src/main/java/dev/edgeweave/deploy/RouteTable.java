package dev.edgeweave.deploy;

import dev.edgeweave.deploy.internal.RoutePattern;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Spin's HTTP routing for one app: exact routes, {@code :name} segments and trailing {@code /...}
 * wildcards, all below the application base.
 *
 * <p>The most specific matching route wins whatever the declaration order: comparing segment by
 * segment, a literal beats a {@code :name}, which beats the wildcard, so an exact route beats a
 * wildcard and the longest wildcard prefix wins. When two triggers declare the same route the last
 * one wins and a warning is kept. {@code /.well-known/spin/health} is answered by the ingress
 * itself, never by an app: manifests may not declare routes under {@code /.well-known/spin/}.
 */
public final class RouteTable {

  /** Answered "OK" by the ingress for every app; not routed to components. */
  public static final String HEALTH_PATH = "/.well-known/spin/health";

  /** Paths Spin reserves for the platform. */
  public static final String RESERVED_PREFIX = "/.well-known/spin/";

  /** The application base when spin.toml sets none. */
  public static final String DEFAULT_BASE = "/";

  private record Entry(HttpTrigger trigger, RoutePattern based, String matchedRoute) {}

  private final String base;
  private final List<Entry> entries;
  private final List<String> warnings;

  private RouteTable(String base, List<Entry> entries, List<String> warnings) {
    this.base = base;
    this.entries = List.copyOf(entries);
    this.warnings = List.copyOf(warnings);
  }

  /** Routes with the default base "/". */
  public static RouteTable of(List<HttpTrigger> triggers) {
    return of(DEFAULT_BASE, triggers);
  }

  /** Routes of a parsed manifest, below its base. */
  public static RouteTable of(AppManifest manifest) {
    return of(manifest.base(), manifest.triggers());
  }

  /**
   * Builds the table.
   *
   * @throws IllegalArgumentException if the base or a route is not valid (a parsed manifest never
   *     has such routes)
   */
  public static RouteTable of(String base, List<HttpTrigger> triggers) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(triggers, "triggers");
    RoutePattern basePattern = parse("base", base);
    if (!basePattern.isLiteral()) {
      throw new IllegalArgumentException(
          "base '" + base + "' must be a plain path, without ':name' or '...'");
    }
    List<String> warnings = new ArrayList<>();
    // Keyed by the normalised route: a later declaration replaces an earlier one in place.
    Map<String, Entry> byRoute = new LinkedHashMap<>();
    for (HttpTrigger trigger : triggers) {
      RoutePattern pattern = parse("route", trigger.route());
      RoutePattern based = pattern.under(basePattern);
      String matched = based.text();
      Entry previous = byRoute.put(matched, new Entry(trigger, based, matched));
      if (previous != null) {
        warnings.add(
            "route '"
                + matched
                + "' is declared more than once: component '"
                + trigger.componentId()
                + "' (declared last) serves it, component '"
                + previous.trigger().componentId()
                + "' is unreachable on it");
      }
    }
    Map<String, Entry> byShape = new LinkedHashMap<>();
    for (Entry e : byRoute.values()) {
      Entry same = byShape.putIfAbsent(e.based().shape(), e);
      if (same != null) {
        warnings.add(
            "routes '"
                + same.matchedRoute()
                + "' and '"
                + e.matchedRoute()
                + "' match the same paths: '"
                + same.matchedRoute()
                + "' (declared first) serves them");
      }
    }
    return new RouteTable(basePattern.text(), new ArrayList<>(byRoute.values()), warnings);
  }

  private static RoutePattern parse(String what, String route) {
    try {
      return RoutePattern.parse(route);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " '" + route + "' " + e.getMessage(), e);
    }
  }

  /**
   * Routes a raw request path (percent-encoded as received; a query string, if any, is ignored).
   */
  public Optional<RouteMatch> match(String path) {
    Objects.requireNonNull(path, "path");
    int query = path.indexOf('?');
    String p = query >= 0 ? path.substring(0, query) : path;
    Entry best = null;
    RoutePattern.Captures bestCaptures = null;
    for (Entry e : entries) {
      Optional<RoutePattern.Captures> c = e.based().match(p);
      if (c.isPresent() && (best == null || e.based().compareSpecificity(best.based()) < 0)) {
        best = e;
        bestCaptures = c.get();
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    String raw = best.trigger().route();
    String componentRoute =
        raw.endsWith(RoutePattern.WILDCARD_SUFFIX)
            ? raw.substring(0, raw.length() - RoutePattern.WILDCARD_SUFFIX.length())
            : raw;
    return Optional.of(
        new RouteMatch(
            best.trigger(),
            best.matchedRoute(),
            componentRoute,
            raw,
            base,
            percentDecode(bestCaptures.rawPathInfo()),
            bestCaptures.rawPathInfo(),
            bestCaptures.params()));
  }

  /** The effective triggers in declaration order, after duplicates were dropped. */
  public List<HttpTrigger> triggers() {
    return entries.stream().map(Entry::trigger).toList();
  }

  /** The normalised application base ("/" or e.g. "/api"). */
  public String base() {
    return base;
  }

  /** Problems that do not stop the app from serving, such as duplicate routes. */
  public List<String> warnings() {
    return warnings;
  }

  // Like Spin (percent_decode_str + decode_utf8_lossy): malformed escapes stay as written,
  // bytes that are not UTF-8 become U+FFFD.
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '%' && i + 2 < bytes.length && hex(bytes[i + 1]) >= 0) {
        int lo = hex(bytes[i + 2]);
        if (lo >= 0) {
          out.write(hex(bytes[i + 1]) * 16 + lo);
          i += 2;
          continue;
        }
      }
      out.write(bytes[i]);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int hex(byte b) {
    return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
        ? Character.digit(b, 16)
        : -1;
  }

  @Override
  public String toString() {
    return "RouteTable" + entries.stream().map(Entry::matchedRoute).toList();
  }
}
