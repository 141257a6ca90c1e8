package dev.edgeweave.wasmhost.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.wasmhost.BlockingListener;
import dev.edgeweave.wasmhost.GuestException;
import dev.edgeweave.wasmhost.Limits;
import dev.edgeweave.wasmhost.TestGuests;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GuestRunnerTest {
  private static final MemoryPools POOLS = new MemoryPools(1L << 30, Duration.ofHours(1));
  private static Watchdog watchdog;

  @BeforeAll
  static void startWatchdog() {
    watchdog = new Watchdog(Duration.ofMillis(5));
  }

  @AfterAll
  static void stopWatchdog() {
    watchdog.close();
  }

  private static WasiContext context(String stdin) {
    return new WasiContext(
        () -> List.of("guest"),
        () -> List.of("REQUEST_METHOD=PUT"),
        stdin.getBytes(UTF_8),
        1 << 20,
        1024,
        FileTree.of(Map.of()));
  }

  private static GuestRunner runner(byte[] wasm, Limits limits) throws Exception {
    return runner(wasm, limits, BlockingListener.NONE);
  }

  private static GuestRunner runner(byte[] wasm, Limits limits, BlockingListener listener)
      throws Exception {
    ModuleArtifact artifact = ModuleArtifact.compile(wasm, "test", limits);
    return new GuestRunner(artifact, "runner-test", "_start", limits, watchdog, POOLS, 2, listener);
  }

  @Test
  void aCleanRunHandsItsMemoryBackToThePool() throws Exception {
    GuestRunner echo = runner(TestGuests.c("echo"), Limits.defaults());
    WasiContext context = context("body");

    echo.run(context);

    assertEquals(1, echo.pool().idleCount());
    assertEquals("Content-Type: text/plain\n\nPUT\nbody", new String(context.stdout(), UTF_8));
  }

  @Test
  void aMemoryThatHitItsLimitIsNotPooled() throws Exception {
    GuestRunner grow = runner(TestGuests.wat("grow"), Limits.defaults().withMaxMemoryPages(3));

    GuestException e = assertThrows(GuestException.class, () -> grow.run(context("")));

    assertEquals(GuestException.Kind.MEMORY_LIMIT, e.kind());
    assertEquals(0, grow.pool().idleCount());
    assertEquals(3, grow.maximumPages());
  }

  @Test
  void aTimedOutRunDoesNotReturnItsMemoryAndIsNoLongerWatched() throws Exception {
    GuestRunner loop =
        runner(TestGuests.wat("loop"), Limits.defaults().withWallTime(Duration.ofMillis(20)));

    GuestException e = assertThrows(GuestException.class, () -> loop.run(context("")));

    assertEquals(GuestException.Kind.TIMEOUT, e.kind());
    assertEquals(0, loop.pool().idleCount());
    assertEquals(0, watchdog.watching());
  }

  @Test
  void theModulesDeclaredMaximumIsKeptWhenBelowTheLimit() throws Exception {
    byte[] wasm = TestGuests.wat("counter");

    assertEquals(1, ModuleArtifact.compile(wasm, "c", Limits.defaults()).initialPages());
    assertEquals(7, runner(wasm, Limits.defaults().withMaxMemoryPages(7)).maximumPages());
  }

  @Test
  void anErrorInsideTheHostBecomesAnInternalFailureDiscardsTheMemoryAndTheNextRunWorks()
      throws Exception {
    AtomicBoolean failNext = new AtomicBoolean(true);
    BlockingListener failing =
        new BlockingListener() {
          @Override
          public void beforeBlocking() {
            if (failNext.getAndSet(false)) {
              throw new OutOfMemoryError("Java heap space");
            }
          }

          @Override
          public void afterBlocking() {}
        };
    GuestRunner sleeper = runner(TestGuests.wat("sleep"), Limits.defaults(), failing);

    GuestException e = assertThrows(GuestException.class, () -> sleeper.run(context("")));

    assertEquals(GuestException.Kind.INTERNAL, e.kind());
    assertTrue(e.getMessage().contains("OutOfMemoryError: Java heap space"), e.getMessage());
    assertEquals("failed inside the host", e.publicReason());
    assertEquals(0, sleeper.pool().idleCount());
    assertEquals(0, watchdog.watching());
    WasiContext next = context("");
    sleeper.run(next);
    assertTrue(new String(next.stdout(), UTF_8).endsWith("rested"));
  }
}
