package dev.edgeweave.sharding;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the node's {@link FunctionCatalog} ({@code edgeweave.catalog}).
 *
 * @param drainGrace how long a replaced release outlives the longest time a request routed to it
 *     can take to reach it (its app's ask timeout)
 * @param maxPreparedFunctions prepared functions kept; the least recently used beyond this are
 *     dropped and prepared again when next called
 */
public record CatalogSettings(Duration drainGrace, int maxPreparedFunctions) {

  public CatalogSettings {
    Objects.requireNonNull(drainGrace, "drainGrace");
    if (drainGrace.isNegative()) {
      throw new IllegalArgumentException(
          "edgeweave.catalog.drain-grace must not be negative: " + drainGrace);
    }
    if (maxPreparedFunctions < 1) {
      throw new IllegalArgumentException(
          "edgeweave.catalog.max-prepared-functions must be >= 1: " + maxPreparedFunctions);
    }
  }

  public static CatalogSettings fromConfig(Config root) {
    Config c = root.getConfig("edgeweave.catalog");
    return new CatalogSettings(c.getDuration("drain-grace"), c.getInt("max-prepared-functions"));
  }

  /** The defaults of reference.conf. */
  public static CatalogSettings defaults() {
    return fromConfig(ConfigFactory.defaultReference());
  }

  public CatalogSettings withDrainGrace(Duration value) {
    return new CatalogSettings(value, maxPreparedFunctions);
  }

  public CatalogSettings withMaxPreparedFunctions(int value) {
    return new CatalogSettings(drainGrace, value);
  }
}
