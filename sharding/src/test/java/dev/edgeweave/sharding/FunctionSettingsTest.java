package dev.edgeweave.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FunctionSettingsTest {

  private static FunctionSettings settings(String overrides) {
    return FunctionSettings.fromConfig(
        ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()));
  }

  @Test
  void anAppOverrideShouldReplaceOnlyTheLimitsItNames() {
    FunctionSettings settings =
        settings("edgeweave.apps { \"fast\" { limits { wall-time = 250ms } } }");
    AppLimits fast = settings.limitsFor("fast");
    assertEquals(Duration.ofMillis(250), fast.wallTime());
    assertEquals(settings.defaultLimits().maxBodyBytes(), fast.maxBodyBytes());
    assertSame(settings.defaultLimits(), settings.limitsFor("anything-else"));
  }

  @Test
  void anOutOfRangeLimitShouldFailAtStartSayingWhatWasExpected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("edgeweave.apps { \"bad\" { limits { max-concurrency = 0 } } }"));
    assertTrue(e.getMessage().contains("max-concurrency >= 1"), e.getMessage());
    assertTrue(e.getMessage().contains("\"bad\""), e.getMessage());
  }

  @Test
  void limitsThatCannotFitOneInvocationMessageShouldFailAtStart() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("edgeweave.apps { \"huge\" { limits { max-body-bytes = 64 MiB } } }"));
    assertTrue(e.getMessage().contains("\"huge\""), e.getMessage());
    assertTrue(e.getMessage().contains("max-buffer-size"), e.getMessage());
  }

  @Test
  void theEngineAndBundleSettingsShouldComeFromConfiguration() {
    FunctionSettings settings =
        settings("edgeweave.engine.memory-pool-size = 3\nedgeweave.deploy.bundle.max-entries = 7");
    assertEquals(3, settings.engineConfig().memoryPoolSize());
    assertEquals(7, settings.bundleLimits().maxEntries());
  }

  @Test
  void theTableElementLimitShouldReachTheEngineAndBeOverridablePerApp() {
    FunctionSettings settings =
        settings("edgeweave.apps { \"small\" { limits { max-table-elements = 500 } } }");
    assertEquals(500, settings.limitsFor("small").guestLimits().maxTableElements());
    assertEquals(100_000, settings.defaultLimits().guestLimits().maxTableElements());
  }

  @Test
  void theTransientWriteBudgetShouldReachTheEngineAndBeOverridablePerApp() {
    FunctionSettings settings =
        settings("edgeweave.apps { \"db\" { limits { max-transient-write-bytes = 64 MiB } } }");
    assertEquals(64L << 20, settings.limitsFor("db").guestLimits().maxTransientWriteBytes());
    assertEquals(16L << 20, settings.defaultLimits().guestLimits().maxTransientWriteBytes());
  }

  @Test
  void theGuestStackSizeShouldComeFromConfiguration() {
    assertEquals(4L << 20, settings("").engineConfig().guestStackSize());
    assertEquals(
        8L << 20,
        settings("edgeweave.engine.guest-stack-size = 8 MiB").engineConfig().guestStackSize());
  }

  @Test
  void theEngineResourceBoundsShouldComeFromConfiguration() {
    FunctionSettings settings =
        settings(
            "edgeweave.engine { compile-cache-max-bytes = 1 MiB, memory-pool-max-bytes = 2 MiB,"
                + " memory-pool-idle-timeout = 3s }");
    assertEquals(1L << 20, settings.engineConfig().compileCacheMaxBytes());
    assertEquals(2L << 20, settings.engineConfig().memoryPoolMaxBytes());
    assertEquals(Duration.ofSeconds(3), settings.engineConfig().memoryPoolIdleTimeout());
  }
}
