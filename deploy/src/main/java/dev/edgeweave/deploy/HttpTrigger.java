package dev.edgeweave.deploy;

import java.util.Objects;

/**
 * One {@code [[trigger.http]]}: requests on {@code route} (as written, without the application
 * base) run component {@code componentId} with the WAGI executor.
 */
public record HttpTrigger(String route, String componentId, WagiExecutor executor) {

  public HttpTrigger {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(componentId, "componentId");
    Objects.requireNonNull(executor, "executor");
  }
}
