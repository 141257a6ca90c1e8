package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The call depth a guest gets from the configured guest stack ({@link
 * EngineConfig#guestStackSize()}), on threads created with that size as the node creates them, not
 * on the test runner's own thread.
 */
class GuestStackTest {
  private static WasmEngine engine;

  @BeforeAll
  static void startEngine() {
    engine = WasmEngine.create(EngineConfig.defaults());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static GuestFunction recurse(String entrypoint) throws InvalidModuleException {
    return engine.prepare(
        TestGuests.wat("recurse"),
        ComponentSpec.builder("recurse").withEntrypoint(entrypoint).build());
  }

  /** Runs {@code call} on a new thread with a stack of {@code stackSize} bytes. */
  static <T> T onThreadWithStack(long stackSize, Callable<T> call) throws Exception {
    FutureTask<T> task = new FutureTask<>(call);
    Thread thread = new Thread(null, task, "guest-stack-test", stackSize);
    thread.start();
    thread.join();
    try {
      return task.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw e;
    }
  }

  @Test
  void theDefaultGuestStackIsFourMebibytes() {
    assertEquals(4L * 1024 * 1024, EngineConfig.defaults().guestStackSize());
  }

  @Test
  void aGuestRecursingTenThousandCallsDeepRunsOnTheConfiguredGuestStack() throws Exception {
    GuestFunction fn = recurse("_start");

    GuestResponse response =
        onThreadWithStack(
            engine.config().guestStackSize(), () -> fn.invoke(GuestRequest.builder().build()));

    assertEquals("deep enough", new String(response.body(), UTF_8));
  }

  @Test
  void theSameRecursionTrapsOnTheSmallestAllowedStack() throws Exception {
    GuestFunction fn = recurse("_start");

    GuestException e =
        assertThrows(
            GuestException.class,
            () ->
                onThreadWithStack(
                    EngineConfig.MIN_GUEST_STACK_SIZE,
                    () -> fn.invoke(GuestRequest.builder().build())));

    assertEquals(GuestException.Kind.TRAP, e.kind());
    assertTrue(e.getMessage().contains("call stack exhausted"), e.getMessage());
  }

  @Test
  void bottomlessRecursionIsATrapAndTheThreadRunsTheNextGuest() throws Exception {
    GuestFunction bottomless = recurse("bottomless");
    GuestFunction fn = recurse("_start");

    String body =
        onThreadWithStack(
            engine.config().guestStackSize(),
            () -> {
              GuestException e =
                  assertThrows(
                      GuestException.class,
                      () -> bottomless.invoke(GuestRequest.builder().build()));
              assertEquals(GuestException.Kind.TRAP, e.kind());
              return new String(fn.invoke(GuestRequest.builder().build()).body(), UTF_8);
            });

    assertEquals("deep enough", body);
  }
}
