package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An HTTP request routed to a component. The body array is handed to the guest as is (not copied):
 * do not change it while an invocation runs.
 *
 * @param method request method, e.g. {@code GET}
 * @param fullUrl the URL as the client sent it, scheme and host included ({@code X_FULL_URL})
 * @param path the request path without the query, e.g. {@code /hello/world}
 * @param query the raw query string without {@code ?}, empty if none
 * @param headers request headers in arrival order
 * @param body the request body, empty if none
 * @param clientAddr the client's socket address, {@code ip:port} ({@code X_CLIENT_ADDR})
 * @param serverName the host name the request was addressed to ({@code SERVER_NAME})
 * @param serverPort the port the request was addressed to ({@code SERVER_PORT})
 * @param route how the router matched the request
 * @param servedBy the node running the guest ({@code X_WEAVE_LOCATION}, {@code X_WEAVE_NODE})
 */
public record GuestRequest(
    String method,
    String fullUrl,
    String path,
    String query,
    List<Header> headers,
    byte[] body,
    String clientAddr,
    String serverName,
    int serverPort,
    RouteInfo route,
    NodeIdentity servedBy) {
  public GuestRequest {
    requireNonNull(method, "method");
    requireNonNull(fullUrl, "fullUrl");
    requireNonNull(path, "path");
    requireNonNull(query, "query");
    headers = List.copyOf(requireNonNull(headers, "headers"));
    requireNonNull(body, "body");
    requireNonNull(clientAddr, "clientAddr");
    requireNonNull(serverName, "serverName");
    requireNonNull(route, "route");
    requireNonNull(servedBy, "servedBy");
    if (method.isEmpty()) {
      throw new IllegalArgumentException("method must not be empty");
    }
    if (serverPort < 0 || serverPort > 65535) {
      throw new IllegalArgumentException("serverPort must be in [0, 65535], was " + serverPort);
    }
  }

  /** A request on a host that does not say which node runs it. */
  public GuestRequest(
      String method,
      String fullUrl,
      String path,
      String query,
      List<Header> headers,
      byte[] body,
      String clientAddr,
      String serverName,
      int serverPort,
      RouteInfo route) {
    this(
        method,
        fullUrl,
        path,
        query,
        headers,
        body,
        clientAddr,
        serverName,
        serverPort,
        route,
        NodeIdentity.UNKNOWN);
  }

  /** A builder for {@code GET http://localhost:3000/} routed by {@code /...}; set what differs. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link GuestRequest}; {@link #path} also derives the route and the full URL. */
  public static final class Builder {
    private String method = "GET";
    private String fullUrl;
    private String path = "/";
    private String query = "";
    private final List<Header> headers = new ArrayList<>();
    private byte[] body = new byte[0];
    private String clientAddr = "127.0.0.1:54321";
    private String serverName = "localhost";
    private int serverPort = 3000;
    private RouteInfo route;
    private NodeIdentity servedBy = NodeIdentity.UNKNOWN;

    private Builder() {}

    public Builder method(String method) {
      this.method = method;
      return this;
    }

    public Builder fullUrl(String fullUrl) {
      this.fullUrl = fullUrl;
      return this;
    }

    public Builder path(String path) {
      this.path = path;
      return this;
    }

    public Builder query(String query) {
      this.query = query;
      return this;
    }

    public Builder header(String name, String value) {
      headers.add(new Header(name, value));
      return this;
    }

    public Builder body(byte[] body) {
      this.body = body;
      return this;
    }

    public Builder clientAddr(String clientAddr) {
      this.clientAddr = clientAddr;
      return this;
    }

    public Builder serverName(String serverName) {
      this.serverName = serverName;
      return this;
    }

    public Builder serverPort(int serverPort) {
      this.serverPort = serverPort;
      return this;
    }

    public Builder route(RouteInfo route) {
      this.route = route;
      return this;
    }

    public Builder servedBy(NodeIdentity servedBy) {
      this.servedBy = servedBy;
      return this;
    }

    public GuestRequest build() {
      String url =
          fullUrl != null
              ? fullUrl
              : "http://"
                  + serverName
                  + ":"
                  + serverPort
                  + path
                  + (query.isEmpty() ? "" : "?" + query);
      RouteInfo r =
          route != null ? route : new RouteInfo("/...", "", "/...", "/", path, path, Map.of());
      return new GuestRequest(
          method, url, path, query, headers, body, clientAddr, serverName, serverPort, r, servedBy);
    }
  }
}
