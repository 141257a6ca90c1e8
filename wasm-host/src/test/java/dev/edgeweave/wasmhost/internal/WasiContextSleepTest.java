package dev.edgeweave.wasmhost.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import dev.edgeweave.wasmhost.BlockingListener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** How a guest's sleep ends: by itself, at the invocation's deadline, or by an interrupt. */
class WasiContextSleepTest {
  private static final long HOUR = Duration.ofHours(1).toNanos();

  /** Counts both ends of each wait. */
  static final class Counting implements BlockingListener {
    final AtomicInteger before = new AtomicInteger();
    final AtomicInteger after = new AtomicInteger();

    @Override
    public void beforeBlocking() {
      before.incrementAndGet();
    }

    @Override
    public void afterBlocking() {
      after.incrementAndGet();
    }
  }

  private static WasiContext context() {
    return new WasiContext(List::of, List::of, new byte[0], 1024, 1024, FileTree.of(Map.of()));
  }

  @Test
  void aSleepLongerThanTheRemainingWallTimeEndsAtTheDeadlineWithoutAnyWatchdog() {
    WasiContext context = context();
    context.attach(System.nanoTime() + Duration.ofMillis(20).toNanos(), new Counting());
    try {
      // A guard against sleeping the hour asked for, not a measurement.
      assertTimeoutPreemptively(
          Duration.ofMinutes(1),
          () -> assertThrows(ChicoryInterruptedException.class, () -> context.sleep(HOUR)));
    } finally {
      WasiContext.detach();
    }
  }

  @Test
  void aSleepWithinTheWallTimeReturnsAndLeavesNoInterrupt() {
    WasiContext context = context();
    Counting listener = new Counting();
    context.attach(System.nanoTime() + HOUR, listener);
    try {
      context.sleep(Duration.ofMillis(1).toNanos());
    } finally {
      WasiContext.detach();
    }
    assertFalse(Thread.currentThread().isInterrupted());
    assertEquals(1, listener.after.get());
  }

  @Test
  void aSleepPastTheDeadlineStopsTheGuestWithoutWaitingOrTellingTheListener() {
    WasiContext context = context();
    Counting listener = new Counting();
    context.attach(System.nanoTime() - 1, listener);
    try {
      assertThrows(ChicoryInterruptedException.class, () -> context.sleep(1));
    } finally {
      WasiContext.detach();
    }
    assertEquals(0, listener.before.get());
  }

  @Test
  void anInterruptEndsTheSleepKeepsTheFlagAndTheListenerStillHearsTheEnd() {
    WasiContext context = context();
    Counting listener = new Counting();
    context.attach(System.nanoTime() + HOUR, listener);
    Thread.currentThread().interrupt();
    try {
      assertThrows(ChicoryInterruptedException.class, () -> context.sleep(HOUR));
      assertTrue(Thread.interrupted(), "the interrupt stays set for the runner to see");
    } finally {
      Thread.interrupted();
      WasiContext.detach();
    }
    assertEquals(1, listener.before.get());
    assertEquals(1, listener.after.get());
  }

  @Test
  void aZeroSleepDoesNotTellTheListener() {
    WasiContext context = context();
    Counting listener = new Counting();
    context.attach(System.nanoTime() + HOUR, listener);
    try {
      context.sleep(0);
    } finally {
      WasiContext.detach();
    }
    assertEquals(0, listener.before.get());
  }
}
