package dev.edgeweave.wasmhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Limits, EngineConfig and ComponentSpec: defaults, withers, builders and range checks. */
class OptionsTest {
  @Test
  void limitsDefaultToTheNamedConstants() {
    Limits limits = Limits.defaults();

    assertEquals(Limits.DEFAULT_MAX_MEMORY_PAGES, limits.maxMemoryPages());
    assertEquals(Limits.DEFAULT_WALL_TIME, limits.wallTime());
    assertEquals(Limits.DEFAULT_MAX_STDOUT_BYTES, limits.maxStdoutBytes());
    assertEquals(Limits.DEFAULT_MAX_TABLE_ELEMENTS, limits.maxTableElements());
    assertEquals(limits, Limits.builder().build());
  }

  @Test
  void limitsWithersChangeOneField() {
    Limits limits =
        Limits.defaults()
            .withMaxMemoryPages(10)
            .withWallTime(Duration.ofMillis(250))
            .withMaxStdoutBytes(99)
            .withMaxTableElements(5);

    assertEquals(new Limits(10, Duration.ofMillis(250), 99, 5), limits);
    assertEquals(
        limits,
        Limits.builder()
            .withMaxMemoryPages(10)
            .withWallTime(Duration.ofMillis(250))
            .withMaxStdoutBytes(99)
            .withMaxTableElements(5)
            .build());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 65537})
  void memoryPagesOutOfRangeAreRejectedSayingWhatIsExpected(int pages) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Limits.defaults().withMaxMemoryPages(pages));

    assertTrue(e.getMessage().contains("[1, 65536]"), e.getMessage());
  }

  @Test
  void wallTimeAndStdoutOutOfRangeAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> Limits.defaults().withWallTime(Duration.ZERO));
    assertThrows(
        IllegalArgumentException.class, () -> Limits.defaults().withWallTime(Duration.ofDays(1)));
    assertThrows(NullPointerException.class, () -> Limits.defaults().withWallTime(null));
    assertThrows(IllegalArgumentException.class, () -> Limits.defaults().withMaxStdoutBytes(0));
    assertThrows(
        IllegalArgumentException.class, () -> Limits.defaults().withMaxStdoutBytes(1L << 31));
    assertThrows(IllegalArgumentException.class, () -> Limits.defaults().withMaxTableElements(-1));
    assertThrows(
        IllegalArgumentException.class,
        () -> Limits.defaults().withMaxTableElements(Limits.MAX_TABLE_ELEMENTS + 1));
  }

  @Test
  void engineConfigDefaultsAndRangeChecks() {
    EngineConfig config = EngineConfig.defaults();

    assertEquals(EngineConfig.DEFAULT_COMPILE_CACHE_SIZE, config.compileCacheSize());
    assertEquals(EngineConfig.DEFAULT_MEMORY_POOL_SIZE, config.memoryPoolSize());
    assertEquals(EngineConfig.DEFAULT_WATCHDOG_INTERVAL, config.watchdogInterval());
    assertEquals(EngineConfig.DEFAULT_MAX_STDERR_BYTES, config.maxStderrBytes());
    assertEquals(EngineConfig.DEFAULT_GUEST_STACK_SIZE, config.guestStackSize());
    assertEquals(EngineConfig.DEFAULT_COMPILE_CACHE_MAX_BYTES, config.compileCacheMaxBytes());
    assertEquals(EngineConfig.DEFAULT_MEMORY_POOL_MAX_BYTES, config.memoryPoolMaxBytes());
    assertEquals(EngineConfig.DEFAULT_MEMORY_POOL_IDLE_TIMEOUT, config.memoryPoolIdleTimeout());
    assertEquals(
        config.withCompileCacheSize(3).withMemoryPoolSize(0),
        EngineConfig.builder().withCompileCacheSize(3).withMemoryPoolSize(0).build());
    assertThrows(IllegalArgumentException.class, () -> config.withCompileCacheSize(0));
    assertThrows(IllegalArgumentException.class, () -> config.withMemoryPoolSize(-1));
    assertThrows(
        IllegalArgumentException.class, () -> config.withWatchdogInterval(Duration.ofNanos(1)));
    assertThrows(IllegalArgumentException.class, () -> config.withMaxStderrBytes(-1));
    assertThrows(IllegalArgumentException.class, () -> config.withGuestStackSize(64 * 1024));
    assertThrows(IllegalArgumentException.class, () -> config.withCompileCacheMaxBytes(-1));
    assertThrows(IllegalArgumentException.class, () -> config.withMemoryPoolMaxBytes(-1));
    assertThrows(
        IllegalArgumentException.class, () -> config.withMemoryPoolIdleTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> config.withGuestStackSize(1L << 31));
  }

  @Test
  void componentSpecDefaultsToTheSpinArgvAndStart() {
    ComponentSpec spec = ComponentSpec.builder("c").build();

    assertEquals("${SCRIPT_NAME} ${ARGS}", spec.argvTemplate());
    assertEquals("_start", spec.entrypoint());
    assertEquals(Limits.defaults(), spec.limits());
    assertEquals(Map.of(), spec.files());
  }

  @ParameterizedTest
  @ValueSource(strings = {"relative.txt", "/", "/a//b", "/a/../b", "/./a", "/a/"})
  void filePathsMustBeAbsoluteAndNormalized(String path) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ComponentSpec.builder("c").withFile(path, new byte[0]).build());

    assertTrue(e.getMessage().contains("component 'c'"), e.getMessage());
  }

  @Test
  void aPathCannotBeBothAFileAndADirectory() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ComponentSpec.builder("c")
                .withFile("/a", new byte[0])
                .withFile("/a/b", new byte[0])
                .build());
  }

  @Test
  void aBlankIdOrAnInvalidVariableNameIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> ComponentSpec.builder(" ").build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ComponentSpec.builder("c").withEnv("A=B", "x").build());
  }
}
