package dev.edgeweave.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.sharding.proto.Failure;
import dev.edgeweave.sharding.proto.InvocationResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler on its own, with tasks that hold their slot until the test lets them go: which
 * tasks start, which wait, which are refused, and what a guest waiting in the host gives back.
 */
class GuestSchedulerTest {

  private static final FunctionSettings DEFAULTS =
      FunctionSettings.fromConfig(ConfigFactory.load());

  /** The waits below are for events that must happen; they bound a broken scheduler only. */
  private static final long PATIENCE_SECONDS = 30;

  private final List<GuestScheduler> schedulers = new ArrayList<>();
  private final List<CountDownLatch> gates = new ArrayList<>();

  @AfterEach
  void closeSchedulers() {
    gates.forEach(CountDownLatch::countDown);
    schedulers.forEach(GuestScheduler::close);
  }

  private GuestScheduler scheduler(int runSlots, int maxThreads) {
    GuestScheduler scheduler =
        new GuestScheduler(DEFAULTS.scheduler().withRunSlots(runSlots).withMaxThreads(maxThreads));
    schedulers.add(scheduler);
    return scheduler;
  }

  private static AppLimits limits(int maxConcurrency, int maxQueue) {
    AppLimits d = DEFAULTS.defaultLimits();
    return new AppLimits(
        d.maxMemoryPages(),
        d.wallTime(),
        d.maxStdoutBytes(),
        d.maxBodyBytes(),
        d.maxHeaderBytes(),
        maxConcurrency,
        maxQueue,
        Duration.ofSeconds(2),
        d.maxTableElements(),
        d.maxTransientWriteBytes());
  }

  private static final AppLimits ROOMY = limits(32, 128);

  private static long inSeconds(long seconds) {
    return System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
  }

  private static InvocationResponse ok() {
    return InvocationResponse.newBuilder().setStatus(200).build();
  }

  private CountDownLatch gate() {
    CountDownLatch gate = new CountDownLatch(1);
    gates.add(gate);
    return gate;
  }

  /** A task that says when it starts and then holds its slot until {@code gate} opens. */
  private static Supplier<InvocationResponse> held(CountDownLatch gate, CountDownLatch started) {
    return () -> {
      started.countDown();
      await(gate);
      return ok();
    };
  }

  private static CompletableFuture<InvocationResponse> submit(
      GuestScheduler scheduler,
      String app,
      AppLimits limits,
      long deadlineNanos,
      Supplier<InvocationResponse> work) {
    CompletableFuture<InvocationResponse> reply = new CompletableFuture<>();
    scheduler.submit(app, limits, deadlineNanos, work, reply::complete);
    return reply;
  }

  /** Waits for the latch; a task interrupted by the scheduler's close just ends. */
  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(PATIENCE_SECONDS, TimeUnit.SECONDS), "timed out waiting");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static InvocationResponse result(CompletableFuture<InvocationResponse> reply)
      throws Exception {
    return reply.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
  }

  private static void eventually(BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < until, "condition not met in time");
      Thread.sleep(5);
    }
  }

  @Test
  void anAppAloneShouldUseEverySlotAndQueueTheRest() throws Exception {
    GuestScheduler scheduler = scheduler(2, 4);
    CountDownLatch gate = gate();
    CountDownLatch started = new CountDownLatch(2);
    List<CompletableFuture<InvocationResponse>> replies = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      replies.add(submit(scheduler, "a", ROOMY, inSeconds(60), held(gate, started)));
    }
    await(started);
    GuestScheduler.Counts counts = scheduler.counts();
    assertEquals(2, counts.running());
    assertEquals(2, counts.queued());
    gate.countDown();
    for (var reply : replies) {
      assertEquals(200, result(reply).getStatus());
    }
    assertEquals(4, scheduler.counts().started());
  }

  @Test
  void anotherAppShouldRunWhileOneAppHoldsEverySlot() throws Exception {
    GuestScheduler scheduler = scheduler(2, 4);
    CountDownLatch gate = gate();
    CountDownLatch started = new CountDownLatch(2);
    for (int i = 0; i < 4; i++) {
      submit(scheduler, "hog", ROOMY, inSeconds(60), held(gate, started));
    }
    await(started);
    // The hog's guests never end while this runs: the other app must not wait for them.
    InvocationResponse other = result(submit(scheduler, "other", ROOMY, inSeconds(60), () -> ok()));
    assertEquals(200, other.getStatus());
    assertEquals(2, scheduler.counts().queued(), "the hog's queued requests still wait");
  }

  @Test
  void anAppOverItsShareShouldGetNoSlotBackWhileAnotherAppWaits() throws Exception {
    GuestScheduler scheduler = scheduler(2, 4);
    CountDownLatch hog1 = gate();
    CountDownLatch hog2 = gate();
    CountDownLatch hogStarted = new CountDownLatch(2);
    List<String> startOrder = new ArrayList<>();
    submit(scheduler, "hog", ROOMY, inSeconds(60), held(hog1, hogStarted));
    submit(scheduler, "hog", ROOMY, inSeconds(60), held(hog2, hogStarted));
    await(hogStarted);
    CountDownLatch forever = gate();
    CompletableFuture<InvocationResponse> hog3 =
        submit(
            scheduler,
            "hog",
            ROOMY,
            inSeconds(60),
            () -> {
              synchronized (startOrder) {
                startOrder.add("hog");
              }
              await(forever);
              return ok();
            });
    // The other app holds one slot (its share of two) and queues a second request.
    CountDownLatch otherStarted = new CountDownLatch(1);
    CountDownLatch other1 = gate();
    submit(scheduler, "other", ROOMY, inSeconds(60), held(other1, otherStarted));
    await(otherStarted);
    CompletableFuture<InvocationResponse> other2 =
        submit(
            scheduler,
            "other",
            ROOMY,
            inSeconds(60),
            () -> {
              synchronized (startOrder) {
                startOrder.add("other");
              }
              return ok();
            });
    assertEquals(3, scheduler.counts().running(), "one guest beyond the slots, for the newcomer");
    assertEquals(2, scheduler.counts().queued());

    // A hog guest ends: the node is back at its two slots, one per app; nothing starts.
    hog1.countDown();
    eventually(() -> scheduler.counts().running() == 2);
    assertEquals(2, scheduler.counts().queued());
    // The other app's guest ends: its slot goes to the app with fewer running, the other app.
    other1.countDown();
    assertEquals(200, result(other2).getStatus());
    // Then the hog, alone again, may take both slots: its queued request starts.
    eventually(() -> scheduler.counts().queued() == 0);
    eventually(() -> startOrder.size() == 2);
    assertEquals(List.of("other", "hog"), startOrder);
    assertFalse(hog3.isDone());
    hog2.countDown();
  }

  @Test
  void slotsShouldGoRoundRobinBetweenAppsWithEqualShares() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    CountDownLatch first = gate();
    CountDownLatch started = new CountDownLatch(1);
    submit(scheduler, "a", ROOMY, inSeconds(60), held(first, started));
    await(started);
    ConcurrentLinkedQueue<String> ran = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<InvocationResponse>> replies = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      for (String app : List.of("a", "b", "c")) {
        replies.add(
            submit(
                scheduler,
                app,
                ROOMY,
                inSeconds(60),
                () -> {
                  ran.add(app);
                  return ok();
                }));
      }
    }
    first.countDown();
    for (var reply : replies) {
      assertEquals(200, result(reply).getStatus());
    }
    // "a" just had the slot, so the others go first; then each app in turn.
    assertEquals(List.of("b", "c", "a", "b", "c", "a", "b", "c", "a"), List.copyOf(ran));
  }

  @Test
  void requestsPastTheConcurrencyLimitShouldWaitAndPastAFullQueueBeRefused() throws Exception {
    GuestScheduler scheduler = scheduler(4, 8);
    AppLimits limits = limits(1, 2);
    CountDownLatch gate = gate();
    CountDownLatch started = new CountDownLatch(1);
    List<CompletableFuture<InvocationResponse>> replies = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      replies.add(submit(scheduler, "a", limits, inSeconds(60), held(gate, started)));
    }
    await(started);
    assertEquals(1, scheduler.counts().running(), "one at a time, though slots are free");
    InvocationResponse refused = result(submit(scheduler, "a", limits, inSeconds(60), () -> ok()));
    assertEquals(503, refused.getStatus());
    assertEquals(Failure.Kind.OVERLOADED, refused.getFailure().getKind());
    assertEquals(2, refused.getFailure().getRetryAfterSeconds());
    assertTrue(
        refused.getFailure().getMessage().contains("queue is full"),
        refused.getFailure().getMessage());
    gate.countDown();
    for (var reply : replies) {
      assertEquals(200, result(reply).getStatus());
    }
  }

  @Test
  void aRequestWhoseDeadlinePassesWhileItWaitsShouldNotRun() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    CountDownLatch gate = gate();
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<InvocationResponse> first =
        submit(scheduler, "a", ROOMY, inSeconds(60), held(gate, started));
    await(started);
    AtomicBoolean ran = new AtomicBoolean();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
    CompletableFuture<InvocationResponse> late =
        submit(
            scheduler,
            "a",
            ROOMY,
            deadline,
            () -> {
              ran.set(true);
              return ok();
            });
    eventually(() -> System.nanoTime() - deadline > 0);
    gate.countDown();
    assertEquals(200, result(first).getStatus());
    InvocationResponse dropped = result(late);
    assertEquals(503, dropped.getStatus());
    assertEquals(Failure.Kind.OVERLOADED, dropped.getFailure().getKind());
    assertTrue(dropped.getFailure().getMessage().contains("did not run"));
    assertFalse(ran.get(), "a request past its deadline ran");
    assertEquals(1, scheduler.counts().started());
    assertEquals(1, scheduler.counts().expired());
  }

  @Test
  void aRequestArrivingAfterItsCallerGaveUpShouldNotRun() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    AtomicBoolean ran = new AtomicBoolean();
    InvocationResponse response =
        result(
            submit(
                scheduler,
                "a",
                ROOMY,
                System.nanoTime() - 1,
                () -> {
                  ran.set(true);
                  return ok();
                }));
    assertEquals(503, response.getStatus());
    assertFalse(ran.get());
    assertEquals(0, scheduler.counts().started());
  }

  @Test
  void aRequestWhoseWaitCannotFitItsDeadlineShouldBeRefusedAtOnce() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    AppLimits one = limits(1, 128);
    // Teach the scheduler how long this app's guests run: at least 300 ms.
    Supplier<InvocationResponse> slow =
        () -> {
          try {
            Thread.sleep(300);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return ok();
        };
    assertEquals(200, result(submit(scheduler, "a", one, inSeconds(60), slow)).getStatus());
    CountDownLatch gate = gate();
    CountDownLatch started = new CountDownLatch(1);
    submit(scheduler, "a", one, inSeconds(60), held(gate, started));
    await(started);
    submit(scheduler, "a", one, inSeconds(60), slow);
    // Two requests ahead of it, each about 300 ms: it cannot start and end within 400 ms.
    AtomicBoolean ran = new AtomicBoolean();
    InvocationResponse refused =
        result(
            submit(
                scheduler,
                "a",
                one,
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400),
                () -> {
                  ran.set(true);
                  return ok();
                }));
    assertEquals(503, refused.getStatus());
    assertTrue(
        refused.getFailure().getMessage().contains("would wait"),
        refused.getFailure().getMessage());
    assertTrue(refused.getFailure().getRetryAfterSeconds() >= 1);
    assertFalse(ran.get());
  }

  @Test
  void anErrorThrownByATaskShouldAnswer500AndTheThreadShouldKeepServing() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    AtomicReference<Thread> failedOn = new AtomicReference<>();
    InvocationResponse failed =
        result(
            submit(
                scheduler,
                "a",
                ROOMY,
                inSeconds(60),
                () -> {
                  failedOn.set(Thread.currentThread());
                  throw new OutOfMemoryError("thrown by a test task");
                }));
    assertEquals(500, failed.getStatus());
    assertEquals(Failure.Kind.INTERNAL, failed.getFailure().getKind());
    assertTrue(failed.getFailure().getMessage().contains("OutOfMemoryError"));
    AtomicReference<Thread> nextOn = new AtomicReference<>();
    InvocationResponse next =
        result(
            submit(
                scheduler,
                "a",
                ROOMY,
                inSeconds(60),
                () -> {
                  nextOn.set(Thread.currentThread());
                  return ok();
                }));
    assertEquals(200, next.getStatus());
    assertSame(failedOn.get(), nextOn.get(), "the thread that met the error served on");
    assertEquals(1, scheduler.counts().failed());
    assertEquals(0, scheduler.counts().running());
  }

  @Test
  void guestThreadsShouldHaveTheConfiguredStackSize() throws Exception {
    SchedulerSettings base = DEFAULTS.scheduler().withRunSlots(1).withMaxThreads(2);
    int small = deepestRecursion(base.withThreadStackSize(512 * 1024));
    int large = deepestRecursion(base.withThreadStackSize(16 * 1024 * 1024));
    // Thirty-two times the stack; frames differ as the JIT compiles, not by a factor of four.
    assertTrue(large > 4 * small, "512 KiB: " + small + " frames, 16 MiB: " + large);
  }

  private int deepestRecursion(SchedulerSettings settings) throws Exception {
    GuestScheduler scheduler = new GuestScheduler(settings);
    schedulers.add(scheduler);
    AtomicInteger depth = new AtomicInteger();
    InvocationResponse response =
        result(
            submit(
                scheduler,
                "a",
                ROOMY,
                inSeconds(60),
                () -> {
                  try {
                    recurse(depth);
                  } catch (StackOverflowError e) {
                    // The depth reached is the measure.
                  }
                  return ok();
                }));
    assertEquals(200, response.getStatus());
    return depth.get();
  }

  private static void recurse(AtomicInteger depth) {
    depth.incrementAndGet();
    recurse(depth);
  }

  @Test
  void aGuestWaitingInTheHostShouldLendItsSlotToAnotherApp() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    CountDownLatch sleeping = new CountDownLatch(1);
    CountDownLatch wakeUp = gate();
    CompletableFuture<InvocationResponse> sleeper =
        submit(
            scheduler,
            "sleepy",
            ROOMY,
            inSeconds(60),
            () -> {
              scheduler.beforeBlocking();
              sleeping.countDown();
              await(wakeUp);
              scheduler.afterBlocking();
              return ok();
            });
    await(sleeping);
    assertEquals(0, scheduler.counts().running());
    InvocationResponse other = result(submit(scheduler, "other", ROOMY, inSeconds(60), () -> ok()));
    assertEquals(200, other.getStatus());
    assertFalse(sleeper.isDone());
    wakeUp.countDown();
    assertEquals(200, result(sleeper).getStatus());
    assertEquals(0, scheduler.counts().running());
  }

  @Test
  void aGuestDoneWaitingShouldGoOnOnlyWithASlotAndBeforeItsAppsQueuedRequests() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    CountDownLatch sleeping = new CountDownLatch(1);
    CountDownLatch wakeUp = gate();
    CompletableFuture<InvocationResponse> sleeper =
        submit(
            scheduler,
            "sleepy",
            ROOMY,
            inSeconds(60),
            () -> {
              scheduler.beforeBlocking();
              sleeping.countDown();
              await(wakeUp);
              scheduler.afterBlocking();
              events.add("sleeper goes on");
              return ok();
            });
    await(sleeping);
    CountDownLatch otherStarted = new CountDownLatch(1);
    CountDownLatch otherGate = gate();
    CompletableFuture<InvocationResponse> other =
        submit(
            scheduler,
            "other",
            ROOMY,
            inSeconds(60),
            () -> {
              otherStarted.countDown();
              await(otherGate);
              events.add("other ends");
              return ok();
            });
    await(otherStarted);
    CompletableFuture<InvocationResponse> queued =
        submit(
            scheduler,
            "sleepy",
            ROOMY,
            inSeconds(60),
            () -> {
              events.add("queued request of sleepy");
              return ok();
            });
    wakeUp.countDown();
    eventually(() -> scheduler.counts().resuming() == 1);
    assertTrue(events.isEmpty(), "went on without a slot: " + events);
    otherGate.countDown();
    for (var reply : List.of(sleeper, other, queued)) {
      assertEquals(200, result(reply).getStatus());
    }
    assertEquals(
        List.of("other ends", "sleeper goes on", "queued request of sleepy"), List.copyOf(events));
  }

  @Test
  void aGuestInterruptedWhileWaitingForASlotShouldGoOnWithItsInterruptFlag() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    CountDownLatch sleeping = new CountDownLatch(1);
    CountDownLatch wakeUp = gate();
    AtomicReference<Thread> sleeperThread = new AtomicReference<>();
    AtomicBoolean interruptedAfterWait = new AtomicBoolean();
    CompletableFuture<InvocationResponse> sleeper =
        submit(
            scheduler,
            "sleepy",
            ROOMY,
            inSeconds(60),
            () -> {
              sleeperThread.set(Thread.currentThread());
              scheduler.beforeBlocking();
              sleeping.countDown();
              await(wakeUp);
              scheduler.afterBlocking();
              interruptedAfterWait.set(Thread.currentThread().isInterrupted());
              return ok();
            });
    await(sleeping);
    CountDownLatch otherStarted = new CountDownLatch(1);
    CountDownLatch otherGate = gate();
    CompletableFuture<InvocationResponse> other =
        submit(scheduler, "other", ROOMY, inSeconds(60), held(otherGate, otherStarted));
    await(otherStarted);
    wakeUp.countDown();
    eventually(() -> scheduler.counts().resuming() == 1);
    // As the wall-time watchdog stops a guest: the wait ends and the guest sees the flag.
    sleeperThread.get().interrupt();
    assertEquals(200, result(sleeper).getStatus());
    assertTrue(interruptedAfterWait.get());
    assertEquals(0, scheduler.counts().resuming());
    assertEquals(1, scheduler.counts().running(), "only the other app's guest holds a slot");
    otherGate.countDown();
    assertEquals(200, result(other).getStatus());
    assertEquals(0, scheduler.counts().running());
    assertNotEquals(0, scheduler.counts().started());
  }

  @Test
  void closingShouldRefuseWhatWaitsAndStopWhatRuns() throws Exception {
    GuestScheduler scheduler = scheduler(1, 2);
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    CompletableFuture<InvocationResponse> running =
        submit(
            scheduler,
            "a",
            ROOMY,
            inSeconds(60),
            () -> {
              started.countDown();
              try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(PATIENCE_SECONDS));
              } catch (InterruptedException e) {
                interrupted.set(true);
              }
              return ok();
            });
    await(started);
    CompletableFuture<InvocationResponse> waiting =
        submit(scheduler, "a", limits(1, 8), inSeconds(60), () -> ok());
    scheduler.close();
    assertEquals(503, result(waiting).getStatus());
    assertTrue(result(waiting).getFailure().getMessage().contains("shutting down"));
    assertEquals(200, result(running).getStatus());
    assertTrue(interrupted.get());
    InvocationResponse after = result(submit(scheduler, "a", ROOMY, inSeconds(60), () -> ok()));
    assertEquals(503, after.getStatus());
  }
}
