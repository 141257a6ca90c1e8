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
  void theSchedulerSettingsAndTheQueueBoundShouldComeFromConfiguration() {
    FunctionSettings settings =
        settings(
            """
            edgeweave.function.scheduler { run-slots = 3, max-threads = 9 }
            edgeweave.function.scheduler.guest-thread-stack-size = 2 MiB
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
}
