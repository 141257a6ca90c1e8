package dev.edgeweave.wasmhost.internal;

import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.Header;
import dev.edgeweave.wasmhost.RouteInfo;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CGI environment and argv of a WAGI invocation, computed as Spin's WAGI executor does ({@code
 * spin_http::wagi::build_headers}, then {@code compute_default_headers} on top).
 */
public final class WagiEnvironment {
  static final String GATEWAY_INTERFACE = "CGI/1.1";
  static final String SERVER_SOFTWARE = "WAGI/1";
  static final String SERVER_PROTOCOL = "HTTP/1.1";

  private WagiEnvironment() {}

  /**
   * {@code NAME=value} entries: the component's own variables first, then the request's, which win
   * on a clash.
   */
  public static List<String> environment(GuestRequest request, Map<String, String> component) {
    Map<String, String> env = new LinkedHashMap<>(component);
    RouteInfo route = request.route();
    String clientIp = clientIp(request.clientAddr());

    env.put("AUTH_TYPE", "");
    env.put("CONTENT_LENGTH", Integer.toString(request.body().length));
    env.put("CONTENT_TYPE", header(request, "Content-Type"));
    env.put("GATEWAY_INTERFACE", GATEWAY_INTERFACE);
    env.put("QUERY_STRING", request.query());
    env.put("REMOTE_ADDR", clientIp);
    env.put("REMOTE_HOST", clientIp);
    env.put("REMOTE_USER", "");
    env.put("REQUEST_METHOD", request.method());
    env.put("SCRIPT_NAME", stripWildcard(route.matchedRoute()));
    env.put("PATH_INFO", route.pathInfo());
    env.put("X_RAW_PATH_INFO", route.rawPathInfo());
    env.put("PATH_TRANSLATED", percentDecode(route.rawPathInfo()));
    env.put("SERVER_NAME", request.serverName());
    env.put("SERVER_PORT", Integer.toString(request.serverPort()));
    env.put("SERVER_PROTOCOL", SERVER_PROTOCOL);
    env.put("SERVER_SOFTWARE", SERVER_SOFTWARE);
    for (Header h : request.headers()) {
      String name = "HTTP_" + h.name().toUpperCase(Locale.ROOT).replace('-', '_');
      // RFC 3875 4.1.18: credentials and hop-by-hop connection data are not passed on.
      if (!name.equals("HTTP_AUTHORIZATION") && !name.equals("HTTP_CONNECTION")) {
        env.put(name, h.value());
      }
    }
    env.put("X_FULL_URL", request.fullUrl());
    env.put("X_MATCHED_ROUTE", route.matchedRoute());
    env.put("X_BASE_PATH", route.basePath());
    env.put("X_RAW_COMPONENT_ROUTE", route.rawComponentRoute());
    env.put("X_COMPONENT_ROUTE", route.componentRoute());
    env.put("X_CLIENT_ADDR", request.clientAddr());
    // Edgeweave's own: where the guest runs, so a guest (or its owner) can tell nodes apart.
    env.put("X_WEAVE_LOCATION", request.servedBy().location());
    env.put("X_WEAVE_NODE", request.servedBy().node());
    for (Map.Entry<String, String> p : route.pathParams().entrySet()) {
      env.put("X_PATH_MATCH_" + p.getKey().toUpperCase(Locale.ROOT), p.getValue());
    }

    List<String> entries = new ArrayList<>(env.size());
    for (Map.Entry<String, String> e : env.entrySet()) {
      entries.add(e.getKey() + "=" + e.getValue());
    }
    return entries;
  }

  /**
   * argv from the template: {@code ${SCRIPT_NAME}} is the request path and {@code ${ARGS}} the
   * query string with {@code &} turned into spaces; the result is split on every space, as Spin
   * does (so an empty query leaves an empty last argument).
   */
  public static List<String> argv(String template, GuestRequest request) {
    String argv =
        template
            .replace("${SCRIPT_NAME}", request.path())
            .replace("${ARGS}", request.query().replace('&', ' '));
    return Arrays.asList(argv.split(" ", -1));
  }

  private static String header(GuestRequest request, String name) {
    String value = "";
    for (Header h : request.headers()) {
      if (h.name().equalsIgnoreCase(name)) {
        value = h.value();
      }
    }
    return value;
  }

  static String stripWildcard(String route) {
    return route.endsWith("/...") ? route.substring(0, route.length() - 4) : route;
  }

  /** The IP of {@code ip:port} or {@code [v6]:port}; a bare address stays as is. */
  static String clientIp(String addr) {
    if (addr.startsWith("[")) {
      int end = addr.indexOf(']');
      return end > 0 ? addr.substring(1, end) : addr;
    }
    int colon = addr.indexOf(':');
    if (colon >= 0 && colon == addr.lastIndexOf(':')) {
      return addr.substring(0, colon);
    }
    return addr;
  }

  /** Percent-decodes as UTF-8, replacing invalid sequences (Rust's decode_utf8_lossy). */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int hi;
      int lo;
      if (bytes[i] == '%'
          && i + 2 < bytes.length
          && (hi = Character.digit(bytes[i + 1], 16)) >= 0
          && (lo = Character.digit(bytes[i + 2], 16)) >= 0) {
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.write(bytes[i]);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
