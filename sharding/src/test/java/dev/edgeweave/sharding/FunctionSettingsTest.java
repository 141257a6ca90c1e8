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
  void outboundLimitsShouldBeOverridablePerAppAndCheckedAtStart() {
    FunctionSettings settings =
        settings(
            """
            edgeweave.apps { "caller" { limits.outbound { timeout = 2s, allow-ingress = on } } }
            edgeweave.outbound.max-concurrent-requests = 7
            edgeweave.admin.port = 9191
            """);
    AppLimits caller = settings.limitsFor("caller");
    assertEquals(Duration.ofSeconds(2), caller.outbound().timeout());
    assertEquals(
        settings.defaultLimits().outbound().maxResponseBytes(),
        caller.outbound().maxResponseBytes());
    assertTrue(caller.outboundToIngress());
    assertEquals(false, settings.defaultLimits().outboundToIngress());
    assertEquals(7, settings.outboundConfig().maxConcurrentRequests());
    assertEquals("admin API", settings.outboundConfig().nodePorts().get(9191));

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("edgeweave.apps { \"bad\" { limits.outbound.max-requests = -1 } }"));
    assertTrue(e.getMessage().contains("\"bad\""), e.getMessage());
    assertTrue(e.getMessage().contains("maxRequests"), e.getMessage());
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
  void theSchedulerSettingsAndTheQueueBoundShouldComeFromConfiguration() {
    FunctionSettings settings =
        settings(
            """
            edgeweave.function.scheduler { run-slots = 3, max-threads = 9 }
            edgeweave.engine.guest-stack-size = 2 MiB
            edgeweave.apps { "short" { limits { max-queue = 0 } } }
            """);
    assertEquals(3, settings.scheduler().runSlots());
    assertEquals(9, settings.scheduler().maxThreads());
    assertEquals(2 * 1024 * 1024, settings.scheduler().threadStackSize());
    assertEquals(0, settings.limitsFor("short").maxQueue());
    assertEquals(128, settings.defaultLimits().maxQueue());
  }

  @Test
  void tooFewGuestThreadsForTheRunSlotsShouldFailAtStartSayingWhatWasExpected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("edgeweave.function.scheduler { run-slots = 8, max-threads = 8 }"));
    assertTrue(e.getMessage().contains("max-threads in 2 * run-slots (16)"), e.getMessage());
    IllegalArgumentException queue =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("edgeweave.apps { \"q\" { limits { max-queue = -1 } } }"));
    assertTrue(queue.getMessage().contains("max-queue"), queue.getMessage());
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
