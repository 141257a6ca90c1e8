package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-invocation limits and the ways a WAGI guest can die. */
class WagiLimitsTest {
  private static WasmEngine engine;

  @BeforeAll
  static void startEngine() {
    engine = WasmEngine.create(EngineConfig.defaults());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static GuestFunction prepare(byte[] wasm, String id, Limits limits) throws Exception {
    return engine.prepare(wasm, ComponentSpec.builder(id).withLimits(limits).build());
  }

  private static GuestRequest query(String q) {
    return GuestRequest.builder().query(q).build();
  }

  @Test
  void stdoutWithinTheLimitIsReturnedWhole() throws Exception {
    GuestFunction bigout =
        prepare(TestGuests.c("bigout"), "bigout", Limits.defaults().withMaxStdoutBytes(64 * 1024));

    GuestResponse response = bigout.invoke(query("16"));

    assertEquals(16 * 1024, response.body().length);
  }

  @Test
  void stdoutPastTheLimitFailsWithOutputLimit() throws Exception {
    GuestFunction bigout =
        prepare(TestGuests.c("bigout"), "bigout", Limits.defaults().withMaxStdoutBytes(64 * 1024));

    GuestException e = assertThrows(GuestException.class, () -> bigout.invoke(query("1024")));

    assertEquals(GuestException.Kind.OUTPUT_LIMIT, e.kind());
    assertTrue(e.getMessage().contains("bigout"), e.getMessage());
    assertTrue(e.getMessage().contains("65536"), e.getMessage());
  }

  @Test
  void aFunctionStillAnswersAfterAnInvocationHitItsOutputLimit() throws Exception {
    GuestFunction bigout =
        prepare(TestGuests.c("bigout"), "bigout", Limits.defaults().withMaxStdoutBytes(64 * 1024));
    assertThrows(GuestException.class, () -> bigout.invoke(query("1024")));

    assertEquals(1024, bigout.invoke(query("1")).body().length);
  }

  @Test
  void aNonZeroExitIsReportedWithItsCodeAndTheTailOfStderr() throws Exception {
    GuestFunction exit = prepare(TestGuests.c("exit"), "exiting", Limits.defaults());

    GuestException e = assertThrows(GuestException.class, () -> exit.invoke(query("")));

    assertEquals(GuestException.Kind.EXIT, e.kind());
    assertEquals("exiting", e.component());
    assertTrue(e.getMessage().contains("code 3"), e.getMessage());
    assertTrue(e.getMessage().contains("database unreachable"), e.getMessage());
    assertEquals("exited with code 3", e.publicReason());
  }

  @Test
  void aTrapCarriesTheTrapMessage() throws Exception {
    GuestFunction trap = prepare(TestGuests.wat("trap"), "trapping", Limits.defaults());

    GuestException e = assertThrows(GuestException.class, () -> trap.invoke(query("")));

    assertEquals(GuestException.Kind.TRAP, e.kind());
    assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
  }

  @Test
  void theMemoryLimitErrorNamesThePageLimitAndWhatHappenedNext() throws Exception {
    // The grow guest only dies once refused: with a page limit of 4 it is refused after 3 pages.
    GuestFunction grow =
        prepare(TestGuests.wat("grow"), "growing", Limits.defaults().withMaxMemoryPages(4));

    GuestException e = assertThrows(GuestException.class, () -> grow.invoke(query("")));

    assertEquals(GuestException.Kind.MEMORY_LIMIT, e.kind());
    assertTrue(e.getMessage().contains("4 pages"), e.getMessage());
    assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
  }

  @Test
  void aTimedOutGuestDoesNotPreventTheNextInvocation() throws Exception {
    GuestFunction loop =
        prepare(
            TestGuests.wat("loop"),
            "looping",
            Limits.defaults().withWallTime(Duration.ofMillis(50)));
    GuestFunction hello = prepare(TestGuests.c("hello"), "hello", Limits.defaults());

    for (int i = 0; i < 3; i++) {
      GuestException e = assertThrows(GuestException.class, () -> loop.invoke(query("")));
      assertEquals(GuestException.Kind.TIMEOUT, e.kind());
      assertTrue(e.getMessage().contains("50 ms"), e.getMessage());
      assertEquals("Hello, Edgeweave\n", new String(hello.invoke(query("")).body(), UTF_8));
    }
  }

  @Test
  void anInterruptFromOutsideEndsTheGuestAndStaysSetForTheCaller() throws Exception {
    GuestFunction loop = prepare(TestGuests.wat("loop"), "looping", Limits.defaults());
    Thread caller = Thread.currentThread();
    Thread interrupter =
        new Thread(
            () -> {
              try {
                Thread.sleep(100);
              } catch (InterruptedException e) {
                return;
              }
              caller.interrupt();
            });
    interrupter.start();
    try {
      GuestException e = assertThrows(GuestException.class, () -> loop.invoke(query("")));

      assertEquals(GuestException.Kind.TIMEOUT, e.kind());
      assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
      assertTrue(Thread.interrupted(), "the caller's interrupt is preserved");
    } finally {
      interrupter.join();
      Thread.interrupted();
    }
  }
}
