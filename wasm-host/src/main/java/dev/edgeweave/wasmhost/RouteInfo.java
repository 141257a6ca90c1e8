package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * How the router matched a request to a component; the WAGI executor turns it into the {@code X_*},
 * {@code SCRIPT_NAME} and {@code PATH_INFO} variables.
 *
 * @param matchedRoute the route with the application base, as written ({@code X_MATCHED_ROUTE}),
 *     e.g. {@code /hello/...}
 * @param componentRoute the route without a trailing {@code /...} ({@code X_COMPONENT_ROUTE})
 * @param rawComponentRoute the route as written in the manifest ({@code X_RAW_COMPONENT_ROUTE})
 * @param basePath the application base path ({@code X_BASE_PATH}), usually {@code /}
 * @param pathInfo the part of the path after the component route ({@code PATH_INFO})
 * @param rawPathInfo the same part, not percent-decoded ({@code X_RAW_PATH_INFO})
 * @param pathParams values of the {@code :name} segments ({@code X_PATH_MATCH_NAME})
 */
public record RouteInfo(
    String matchedRoute,
    String componentRoute,
    String rawComponentRoute,
    String basePath,
    String pathInfo,
    String rawPathInfo,
    Map<String, String> pathParams) {
  public RouteInfo {
    requireNonNull(matchedRoute, "matchedRoute");
    requireNonNull(componentRoute, "componentRoute");
    requireNonNull(rawComponentRoute, "rawComponentRoute");
    requireNonNull(basePath, "basePath");
    requireNonNull(pathInfo, "pathInfo");
    requireNonNull(rawPathInfo, "rawPathInfo");
    pathParams = Map.copyOf(requireNonNull(pathParams, "pathParams"));
  }
}
