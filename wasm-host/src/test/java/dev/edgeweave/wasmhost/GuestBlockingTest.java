package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A guest that waits in the host: the blocking listener hears it, the wall time still holds. */
class GuestBlockingTest {
  /** Records what it is told, and on which thread. */
  static final class Recorder implements BlockingListener {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void beforeBlocking() {
      events.add("before on " + Thread.currentThread().getName());
    }

    @Override
    public void afterBlocking() {
      events.add("after on " + Thread.currentThread().getName());
    }
  }

  private static GuestFunction sleeper(WasmEngine engine, String entrypoint, Limits limits)
      throws InvalidModuleException {
    return engine.prepare(
        TestGuests.wat("sleep"),
        ComponentSpec.builder("sleeper").withEntrypoint(entrypoint).withLimits(limits).build());
  }

  @Test
  void theListenerIsToldBeforeAndAfterAGuestSleepsOnTheGuestsOwnThread() throws Exception {
    Recorder recorder = new Recorder();
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults(), recorder)) {
      GuestFunction fn = sleeper(engine, "_start", Limits.defaults());

      GuestResponse response = fn.invoke(GuestRequest.builder().build());

      assertEquals("rested", new String(response.body(), UTF_8));
      String me = Thread.currentThread().getName();
      assertEquals(List.of("before on " + me, "after on " + me), recorder.events);
    }
  }

  @Test
  void theListenerHearsNothingFromAGuestThatDoesNotWait() throws Exception {
    Recorder recorder = new Recorder();
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults(), recorder)) {
      GuestFunction counter =
          engine.prepare(TestGuests.wat("counter"), ComponentSpec.builder("counter").build());

      counter.invoke(GuestRequest.builder().build());

      assertEquals(List.of(), recorder.events);
    }
  }

  @Test
  void aGuestSleepingPastItsWallTimeTimesOutAtItsDeadlineAndTheListenerHearsBothEnds()
      throws Exception {
    Recorder recorder = new Recorder();
    // The watchdog sweeps once a second: the sleep itself ends at the deadline.
    EngineConfig config = EngineConfig.defaults().withWatchdogInterval(Duration.ofSeconds(1));
    try (WasmEngine engine = WasmEngine.create(config, recorder)) {
      GuestFunction fn =
          sleeper(engine, "forever", Limits.defaults().withWallTime(Duration.ofMillis(200)));

      // A guard against sleeping for the hour the guest asked, not a measurement.
      GuestException e =
          assertTimeoutPreemptively(
              Duration.ofMinutes(1),
              () ->
                  assertThrows(
                      GuestException.class, () -> fn.invoke(GuestRequest.builder().build())));

      assertEquals(GuestException.Kind.TIMEOUT, e.kind());
      assertTrue(e.getMessage().contains("exceeded its wall time of 200 ms"), e.getMessage());
      assertEquals(2, recorder.events.size(), recorder.events.toString());
      assertTrue(recorder.events.get(0).startsWith("before"), recorder.events.toString());
      assertTrue(recorder.events.get(1).startsWith("after"), recorder.events.toString());
    }
  }
}
