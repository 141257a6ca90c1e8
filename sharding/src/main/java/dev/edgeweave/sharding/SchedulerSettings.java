package dev.edgeweave.sharding;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Objects;

/**
 * How the node's {@link GuestScheduler} runs guests ({@code edgeweave.function.scheduler}).
 *
 * @param runSlots guests running at once on this node (the CPU given to guests)
 * @param maxThreads guest threads at most: guests running, waiting for a slot after a wait in the
 *     host, or waiting in the host; at least {@code 2 * runSlots}, since an app below its share may
 *     start beside one that holds more than its share
 * @param threadStackSize stack of each guest thread in bytes; compiled guests recurse on it. The
 *     engine's {@code edgeweave.engine.guest-stack-size}, so guests get the same stack wherever
 *     they run
 * @param minTimeLeft a queued request starts only with at least this much time left before its
 *     caller gives up; otherwise it is dropped unrun
 * @param threadKeepAlive how long an idle guest thread is kept
 * @param stopTimeout how long closing waits for interrupted guests to end
 */
public record SchedulerSettings(
    int runSlots,
    int maxThreads,
    long threadStackSize,
    Duration minTimeLeft,
    Duration threadKeepAlive,
    Duration stopTimeout) {

  /** A thread's stack must hold the JVM's own frames besides a guest's. */
  public static final long MIN_THREAD_STACK_SIZE = 256 * 1024;

  public SchedulerSettings {
    Objects.requireNonNull(minTimeLeft, "minTimeLeft");
    Objects.requireNonNull(threadKeepAlive, "threadKeepAlive");
    Objects.requireNonNull(stopTimeout, "stopTimeout");
    check(runSlots >= 1 && runSlots <= 4096, "run-slots in 1..4096", runSlots);
    check(
        maxThreads >= 2 * runSlots && maxThreads <= 32768,
        "max-threads in 2 * run-slots (" + 2 * runSlots + ")..32768",
        maxThreads);
    check(
        threadStackSize >= MIN_THREAD_STACK_SIZE && threadStackSize <= 1L << 30,
        "a guest stack size in 256 KiB..1 GiB",
        threadStackSize);
    check(!minTimeLeft.isNegative(), "min-time-left >= 0", minTimeLeft);
    check(
        !threadKeepAlive.isNegative() && !threadKeepAlive.isZero(),
        "thread-keep-alive > 0",
        threadKeepAlive);
    check(!stopTimeout.isNegative(), "stop-timeout >= 0", stopTimeout);
  }

  /** Reads {@code edgeweave.function.scheduler}; threads get the engine's guest stack size. */
  public static SchedulerSettings fromConfig(Config scheduler, long guestStackSize) {
    return new SchedulerSettings(
        scheduler.getInt("run-slots"),
        scheduler.getInt("max-threads"),
        guestStackSize,
        scheduler.getDuration("min-time-left"),
        scheduler.getDuration("thread-keep-alive"),
        scheduler.getDuration("stop-timeout"));
  }

  public SchedulerSettings withRunSlots(int runSlots) {
    return new SchedulerSettings(
        runSlots, maxThreads, threadStackSize, minTimeLeft, threadKeepAlive, stopTimeout);
  }

  public SchedulerSettings withMaxThreads(int maxThreads) {
    return new SchedulerSettings(
        runSlots, maxThreads, threadStackSize, minTimeLeft, threadKeepAlive, stopTimeout);
  }

  public SchedulerSettings withThreadStackSize(long threadStackSize) {
    return new SchedulerSettings(
        runSlots, maxThreads, threadStackSize, minTimeLeft, threadKeepAlive, stopTimeout);
  }

  public SchedulerSettings withMinTimeLeft(Duration minTimeLeft) {
    return new SchedulerSettings(
        runSlots, maxThreads, threadStackSize, minTimeLeft, threadKeepAlive, stopTimeout);
  }

  private static void check(boolean ok, String expected, Object actual) {
    if (!ok) {
      throw new IllegalArgumentException(
          "edgeweave.function.scheduler: expected " + expected + ", got " + actual);
    }
  }
}
