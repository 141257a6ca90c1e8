package dev.edgeweave.wasmhost.internal;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Interrupts invocations that run past their wall time. One daemon thread sweeps the running
 * invocations at a fixed interval: registering costs a set insertion, not a scheduled task.
 */
public final class Watchdog implements AutoCloseable {
  private static final int RUNNING = 0;
  private static final int FIRING = 1;
  private static final int FIRED = 2;
  private static final int DONE = 3;

  private final ScheduledExecutorService scheduler;
  private final Set<Ticket> running = ConcurrentHashMap.newKeySet();

  public Watchdog(Duration interval) {
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "edgeweave-wasm-watchdog");
              t.setDaemon(true);
              return t;
            });
    long nanos = interval.toNanos();
    scheduler.scheduleAtFixedRate(this::sweep, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /** Starts watching the calling thread; it is interrupted once {@code wallTime} has passed. */
  public Ticket start(Duration wallTime) {
    Ticket ticket = new Ticket(Thread.currentThread(), System.nanoTime() + wallTime.toNanos());
    running.add(ticket);
    return ticket;
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Ticket ticket : running) {
      if (now - ticket.deadline >= 0) {
        ticket.fire();
      }
    }
  }

  /** How many invocations are being watched. */
  public int watching() {
    return running.size();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }

  /** One watched invocation. */
  public final class Ticket {
    private final Thread thread;
    private final long deadline;
    private final AtomicInteger state = new AtomicInteger(RUNNING);

    private Ticket(Thread thread, long deadline) {
      this.thread = thread;
      this.deadline = deadline;
    }

    private void fire() {
      if (state.compareAndSet(RUNNING, FIRING)) {
        thread.interrupt();
        state.set(FIRED);
      }
    }

    /** When the invocation must end, on the {@link System#nanoTime()} clock. */
    public long deadlineNanos() {
      return deadline;
    }

    /** True once the deadline has passed, whether or not the watchdog fired yet. */
    public boolean expired() {
      return System.nanoTime() - deadline >= 0;
    }

    /** True if the deadline passed and the thread was (or is being) interrupted. */
    public boolean fired() {
      int s = state.get();
      return s == FIRING || s == FIRED;
    }

    /**
     * Stops watching. If the watchdog fired, waits for its interrupt to land and clears it, so the
     * thread goes back to its pool without a pending interrupt. Returns whether it fired.
     */
    public boolean finish() {
      running.remove(this);
      if (state.compareAndSet(RUNNING, DONE) || state.get() == DONE) {
        return false;
      }
      while (state.get() != FIRED) {
        Thread.onSpinWait();
      }
      Thread.interrupted();
      return true;
    }
  }
}
