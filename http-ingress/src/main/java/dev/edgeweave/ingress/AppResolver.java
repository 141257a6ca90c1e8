package dev.edgeweave.ingress;

import dev.edgeweave.deploy.DeployedApp;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Picks the app a request is for: by Host ({@code <app>.<domain>}) first, then by the first path
 * segment ({@code /<app>/...}). With a path prefix the app sees the rest of the path, and its
 * routes are matched as if mounted under {@code /<app>}.
 */
final class AppResolver {

  /** The app a request addresses and the path its routes are matched against. */
  record Resolved(DeployedApp app, String pathInApp, String basePath) {}

  private final List<String> domainSuffixes;
  private final Function<String, Optional<DeployedApp>> apps;

  AppResolver(List<String> domains, Function<String, Optional<DeployedApp>> apps) {
    this.domainSuffixes = domains.stream().map(d -> "." + d.toLowerCase(Locale.ROOT)).toList();
    this.apps = apps;
  }

  Optional<Resolved> resolve(String hostHeader, String path) {
    String host = stripPort(hostHeader).toLowerCase(Locale.ROOT);
    for (String suffix : domainSuffixes) {
      if (host.endsWith(suffix) && host.length() > suffix.length()) {
        String name = host.substring(0, host.length() - suffix.length());
        // A host that names an app is that app's: never fall through to a path prefix.
        return apps.apply(name).map(app -> new Resolved(app, path, "/"));
      }
    }
    int end = path.indexOf('/', 1);
    String first = end < 0 ? path.substring(1) : path.substring(1, end);
    if (first.isEmpty()) {
      return Optional.empty();
    }
    String rest = end < 0 ? "/" : path.substring(end);
    return apps.apply(first).map(app -> new Resolved(app, rest, "/" + first));
  }

  static String stripPort(String host) {
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      return close < 0 ? host : host.substring(0, close + 1);
    }
    int colon = host.lastIndexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }
}
