package dev.edgeweave.wasmhost.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WatchdogTest {
  @Test
  void aThreadPastItsDeadlineIsInterruptedAndFinishClearsTheFlag() throws Exception {
    try (Watchdog watchdog = new Watchdog(Duration.ofMillis(1))) {
      Watchdog.Ticket ticket = watchdog.start(Duration.ofMillis(20));

      assertThrows(InterruptedException.class, () -> Thread.sleep(60_000));
      assertTrue(ticket.fired());
      Thread.currentThread().interrupt(); // sleep cleared it; the guest runtime would not
      assertTrue(ticket.finish());
      assertFalse(Thread.currentThread().isInterrupted());
      assertEquals(0, watchdog.watching());
    }
  }

  @Test
  void aThreadThatFinishesInTimeIsNeverInterrupted() throws Exception {
    try (Watchdog watchdog = new Watchdog(Duration.ofMillis(1))) {
      Watchdog.Ticket ticket = watchdog.start(Duration.ofMillis(50));

      assertFalse(ticket.finish());
      Thread.sleep(120);

      assertFalse(Thread.currentThread().isInterrupted());
      assertFalse(ticket.fired());
      assertFalse(ticket.finish());
    }
  }
}
