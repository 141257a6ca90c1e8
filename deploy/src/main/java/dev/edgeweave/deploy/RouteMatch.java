package dev.edgeweave.deploy;

import java.util.Map;
import java.util.Objects;

/**
 * The outcome of routing one request path, with the values Spin hands the guest (WAGI environment
 * names in brackets).
 *
 * @param trigger the trigger whose route matched
 * @param matchedRoute the route with the application base in front, as written including a trailing
 *     {@code /...} ({@code X_MATCHED_ROUTE}); "/" for the root route
 * @param componentRoute the route as written without the base and without a trailing {@code /...}
 *     ({@code X_COMPONENT_ROUTE}); "" for the catch-all {@code /...}
 * @param rawComponentRoute the route exactly as written in spin.toml ({@code
 *     X_RAW_COMPONENT_ROUTE})
 * @param basePath the application base ({@code X_BASE_PATH}), "/" by default
 * @param pathInfo the part of the path after the matched prefix, percent-decoded ({@code
 *     PATH_INFO}); "" for an exact route
 * @param rawPathInfo the same part still percent-encoded ({@code X_RAW_PATH_INFO})
 * @param pathParams {@code :name} segments to their raw values ({@code X_PATH_MATCH_NAME})
 */
public record RouteMatch(
    HttpTrigger trigger,
    String matchedRoute,
    String componentRoute,
    String rawComponentRoute,
    String basePath,
    String pathInfo,
    String rawPathInfo,
    Map<String, String> pathParams) {

  public RouteMatch {
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(matchedRoute, "matchedRoute");
    Objects.requireNonNull(componentRoute, "componentRoute");
    Objects.requireNonNull(rawComponentRoute, "rawComponentRoute");
    Objects.requireNonNull(basePath, "basePath");
    Objects.requireNonNull(pathInfo, "pathInfo");
    Objects.requireNonNull(rawPathInfo, "rawPathInfo");
    pathParams = ComponentManifest.orderedCopy(pathParams);
  }

  /** The component that serves the request. */
  public String componentId() {
    return trigger.componentId();
  }
}
