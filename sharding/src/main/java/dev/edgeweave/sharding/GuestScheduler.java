package dev.edgeweave.sharding;

import dev.edgeweave.sharding.proto.Failure;
import dev.edgeweave.sharding.proto.InvocationResponse;
import dev.edgeweave.wasmhost.BlockingListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the guests of every app on this node: a fixed number of run slots shared fairly between
 * apps, a bounded FIFO queue per app, and a deadline on every request.
 *
 * <ul>
 *   <li>When a slot frees, the next request comes from the waiting app with the fewest guests
 *       running (round-robin among equals), so an app alone may use every slot and, once others
 *       wait, gets no slot back until it is down to its share ({@code run-slots / active apps}).
 *   <li>Guests cannot be paused. So that an app arriving at a node another app fills does not wait
 *       for the other's guests to end, an app below its share may start a guest on an extra thread
 *       for each guest the other app runs beyond its share; the operating system then shares the
 *       cores between them, and the node is back within its run slots as the over-share guests end.
 *   <li>A request waits in its app's queue while its deadline allows. It is refused (503 with
 *       Retry-After) when the queue holds {@code max-queue} requests, when the wait it faces cannot
 *       fit its deadline, or when its deadline comes while it waits: then it never runs.
 *   <li>A guest that waits in the host ({@link BlockingListener}) gives its slot back meanwhile and
 *       waits its turn for one before it goes on, ahead of its app's requests that have not
 *       started.
 *   <li>Guests run on threads of their own with an explicit stack size; anything a guest task
 *       throws, {@link Error}s included, is answered with 500 and logged here, and the thread keeps
 *       serving.
 * </ul>
 */
public final class GuestScheduler implements BlockingListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GuestScheduler.class);

  /** Idle apps whose recent run time is remembered, for the wait estimate of their next burst. */
  static final int REMEMBERED_IDLE_APPS = 4096;

  private final SchedulerSettings settings;
  private final ThreadLocal<Task> current = new ThreadLocal<>();
  private final AtomicInteger threadNames = new AtomicInteger();

  private final ReentrantLock lock = new ReentrantLock();

  // Everything below is guarded by lock.
  /** Apps with work here, in the order they came. */
  private final Map<String, AppState> apps = new LinkedHashMap<>();

  /** How long the guests of apps without work here lately ran, most recently idle last. */
  private final Map<String, Long> idleMeanRunNanos =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
          return size() > REMEMBERED_IDLE_APPS;
        }
      };

  /** Guest threads waiting for work, most recently used last (its caches are warm). */
  private final ArrayDeque<Worker> idle = new ArrayDeque<>();

  private final Set<Worker> workers = new HashSet<>();
  private int running;
  private int threadsInUse;
  private long picks;
  private boolean closed;
  private long started;
  private long expired;
  private long refused;
  private long failed;

  public GuestScheduler(SchedulerSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public SchedulerSettings settings() {
    return settings;
  }

  /**
   * Runs {@code work} for {@code app} when its turn comes, and gives its response to {@code reply}
   * on the guest's thread; or answers 503 without running it if it cannot start before {@code
   * deadlineNanos} (a {@link System#nanoTime()} instant: when the caller gives up). {@code reply}
   * is called exactly once, on some thread.
   */
  public void submit(
      String app,
      AppLimits limits,
      long deadlineNanos,
      Supplier<InvocationResponse> work,
      Consumer<InvocationResponse> reply) {
    Task task = new Task(app, limits, deadlineNanos, work, reply);
    InvocationResponse refusal;
    Dispatch dispatch = new Dispatch();
    lock.lock();
    try {
      refusal = admit(task, dispatch);
    } finally {
      lock.unlock();
    }
    if (refusal != null) {
      answer(task, refusal);
    }
    dispatch.run();
  }

  /** Queues the task and starts what may start now, or says why the task is refused. */
  private InvocationResponse admit(Task task, Dispatch dispatch) {
    if (closed) {
      refused++;
      return overloaded(task, "the node is shutting down");
    }
    long now = System.nanoTime();
    long left = task.deadlineNanos - now;
    if (left < settings.minTimeLeft().toNanos()) {
      expired++;
      return overloaded(
          task,
          "app '" + task.appName + "' received a request whose caller has given up or is about to");
    }
    AppState app = apps.get(task.appName);
    if (app == null) {
      app = new AppState(task.appName);
      Long mean = idleMeanRunNanos.remove(task.appName);
      app.meanRunNanos = mean != null ? mean : 0;
      apps.put(task.appName, app);
    }
    app.limits = task.limits;
    dropExpired(app, now, dispatch);
    if (!app.queue.isEmpty() && app.meanRunNanos > 0) {
      // Requests ahead of this one leave at the pace this app's guests have been ending.
      int parallel = Math.max(1, Math.min(share(activeApps(app)), task.limits.maxConcurrency()));
      long wait = (app.queue.size() + 1) * app.meanRunNanos / parallel;
      if (wait + Math.max(app.meanRunNanos, settings.minTimeLeft().toNanos()) > left) {
        refused++;
        return overloaded(
            task,
            "app '"
                + task.appName
                + "' has "
                + app.queue.size()
                + " requests waiting; this one would wait about "
                + TimeUnit.NANOSECONDS.toMillis(wait)
                + " ms and could not finish before its deadline in "
                + TimeUnit.NANOSECONDS.toMillis(left)
                + " ms");
      }
    }
    app.queue.addLast(task);
    pick(dispatch, null);
    if (app.queue.peekLast() == task && app.queue.size() > task.limits.maxQueue()) {
      app.queue.removeLast();
      forgetIfIdle(app);
      refused++;
      return overloaded(
          task,
          "app '"
              + task.appName
              + "' is at its concurrency limit ("
              + task.limits.maxConcurrency()
              + " requests) and its queue is full ("
              + task.limits.maxQueue()
              + " waiting)");
    }
    return null;
  }

  /**
   * Starts everything that may start now: slots go to the apps with the fewest guests running, the
   * least recently served first (an app that was idle counts as never served). A task goes to
   * {@code self} (a guest thread that just became free) first, then to idle threads, else to a new
   * thread. Expired requests met on the way are collected for a 503.
   */
  private void pick(Dispatch dispatch, Worker self) {
    long now = System.nanoTime();
    for (AppState app : apps.values()) {
      dropExpired(app, now, dispatch);
    }
    while (true) {
      boolean threadAvailable = threadsInUse < settings.maxThreads();
      int active = 0;
      for (AppState app : apps.values()) {
        if (app.running > 0 || app.wantsSlot(threadAvailable)) {
          active++;
        }
      }
      if (active == 0) {
        return;
      }
      int share = share(active);
      boolean overShare = false;
      for (AppState app : apps.values()) {
        overShare |= app.running > share;
      }
      boolean freeSlot = running < settings.runSlots();
      // Beyond the run slots only while some app holds more than its share, and never beyond
      // twice the run slots.
      boolean mayBorrow = overShare && running < 2 * settings.runSlots();
      AppState best = null;
      for (AppState app : apps.values()) {
        if (app.wantsSlot(threadAvailable)
            && (freeSlot || (mayBorrow && app.running < share))
            && (best == null
                || app.running < best.running
                || (app.running == best.running && app.lastServed < best.lastServed))) {
          best = app;
        }
      }
      if (best == null) {
        return;
      }
      best.lastServed = ++picks;
      Task resuming = best.resuming.pollFirst();
      if (resuming != null) {
        resuming.holdsSlot = true;
        best.running++;
        running++;
        resuming.granted.signal();
        continue;
      }
      Task task = best.queue.pollFirst();
      task.holdsSlot = true;
      task.startedNanos = System.nanoTime();
      best.running++;
      best.started++;
      running++;
      threadsInUse++;
      started++;
      if (self != null && self.next == null) {
        self.next = task;
      } else if (!idle.isEmpty()) {
        Worker worker = idle.pollLast();
        worker.next = task;
        worker.wake.signal();
      } else {
        dispatch.spawn.add(task);
      }
    }
  }

  /** Run slots each active app may hold while others wait. */
  private int share(int activeApps) {
    return Math.max(1, settings.runSlots() / Math.max(1, activeApps));
  }

  /** Apps competing for slots, counting {@code app} as one of them. */
  private int activeApps(AppState app) {
    int active = 0;
    for (AppState a : apps.values()) {
      if (a == app || a.running > 0 || a.wantsSlot(threadsInUse < settings.maxThreads())) {
        active++;
      }
    }
    return active;
  }

  /**
   * Drops the requests at the head of the app's queue that can no longer start in time: less than
   * {@code min-time-left}, or than the app's guests have been running, is left before the caller
   * gives up.
   */
  private void dropExpired(AppState app, long now, Dispatch dispatch) {
    long needed = Math.max(settings.minTimeLeft().toNanos(), app.meanRunNanos);
    Iterator<Task> it = app.queue.iterator();
    while (it.hasNext()) {
      Task task = it.next();
      if (task.deadlineNanos - now >= needed) {
        // Deadlines of one app mostly grow along its queue; the rest go as they reach the head.
        return;
      }
      it.remove();
      expired++;
      dispatch.expired.add(task);
    }
  }

  private void forgetIfIdle(AppState app) {
    if (app.started == 0 && app.queue.isEmpty() && app.resuming.isEmpty()) {
      apps.remove(app.name);
      if (app.meanRunNanos > 0) {
        idleMeanRunNanos.put(app.name, app.meanRunNanos);
      }
    }
  }

  /** A guest thread: runs the tasks the scheduler hands it, idles, ends after its keep-alive. */
  private final class Worker implements Runnable {
    final Condition wake = lock.newCondition();
    Thread thread;

    /** The task handed to this thread and not yet taken. Guarded by lock. */
    Task next;

    @Override
    public void run() {
      while (true) {
        Task task;
        lock.lock();
        try {
          long keepAlive = settings.threadKeepAlive().toNanos();
          while (next == null && !closed && keepAlive > 0) {
            try {
              keepAlive = wake.awaitNanos(keepAlive);
            } catch (InterruptedException e) {
              // Only close interrupts an idle thread.
            }
          }
          if (next == null) {
            idle.remove(this);
            workers.remove(this);
            return;
          }
          task = next;
          next = null;
        } finally {
          lock.unlock();
        }
        runTask(task, this);
      }
    }
  }

  /** Runs one task on this guest thread, then frees its slot and answers its caller. */
  private void runTask(Task task, Worker self) {
    current.set(task);
    InvocationResponse response;
    try {
      response = task.work.get();
      if (response == null) {
        response = internal(task, "the guest task gave no response");
      }
    } catch (Throwable e) {
      // Nothing a guest does may take the thread, or reach the actor system, with it.
      response = internal(task, "invocation failed: " + e);
      log.error("a guest task of app '{}' failed", task.appName, e);
      countFailure();
    } finally {
      current.remove();
    }
    // A wait for a slot that was interrupted may leave the flag; the next guest must not see it.
    Thread.interrupted();
    Dispatch dispatch = new Dispatch();
    lock.lock();
    try {
      finish(task);
      pick(dispatch, self);
      if (self.next == null && !closed) {
        idle.addLast(self);
      }
    } finally {
      lock.unlock();
    }
    // Reply after the slot is free: a client's next request never meets its previous one's slot.
    answer(task, response);
    dispatch.run();
  }

  private void finish(Task task) {
    AppState app = apps.get(task.appName);
    if (task.holdsSlot) {
      task.holdsSlot = false;
      app.running--;
      running--;
    }
    app.started--;
    threadsInUse--;
    long ran = System.nanoTime() - task.startedNanos;
    app.meanRunNanos =
        app.meanRunNanos == 0 ? ran : app.meanRunNanos + (ran - app.meanRunNanos) / 8;
    forgetIfIdle(app);
  }

  private void countFailure() {
    lock.lock();
    try {
      failed++;
    } finally {
      lock.unlock();
    }
  }

  /** The guest on this thread waits in the host: its slot goes to the next in turn. */
  @Override
  public void beforeBlocking() {
    Task task = current.get();
    if (task == null || !task.holdsSlot) {
      return;
    }
    Dispatch dispatch = new Dispatch();
    lock.lock();
    try {
      AppState app = apps.get(task.appName);
      task.holdsSlot = false;
      app.running--;
      running--;
      pick(dispatch, null);
    } finally {
      lock.unlock();
    }
    dispatch.run();
  }

  /**
   * The guest on this thread is done waiting: returns once it holds a slot again, or at once with
   * the interrupt flag set if the thread is interrupted meanwhile (the guest is being stopped).
   */
  @Override
  public void afterBlocking() {
    Task task = current.get();
    if (task == null || task.holdsSlot) {
      return;
    }
    Dispatch dispatch = new Dispatch();
    boolean interrupted = false;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      AppState app = apps.get(task.appName);
      app.resuming.addLast(task);
      pick(dispatch, null);
      while (!task.holdsSlot && !closed) {
        try {
          task.granted.await();
        } catch (InterruptedException e) {
          interrupted = true;
          break;
        }
      }
      if (!task.holdsSlot) {
        // Runs on without a slot for the moment it takes to stop.
        app.resuming.remove(task);
      }
    } finally {
      lock.unlock();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    dispatch.run();
  }

  /** What the scheduler has done so far, and what it holds now. */
  public record Counts(
      long started,
      long expired,
      long refused,
      long failed,
      int running,
      int threadsInUse,
      int queued,
      int resuming) {}

  public Counts counts() {
    lock.lock();
    try {
      int queued = 0;
      int resuming = 0;
      for (AppState app : apps.values()) {
        queued += app.queue.size();
        resuming += app.resuming.size();
      }
      return new Counts(started, expired, refused, failed, running, threadsInUse, queued, resuming);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Refuses what waits, interrupts the guests that run (they end as timed out), and waits up to
   * {@code stop-timeout} for their threads.
   */
  @Override
  public void close() {
    List<Task> waiting = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (AppState app : apps.values()) {
        waiting.addAll(app.queue);
        refused += app.queue.size();
        app.queue.clear();
        for (Task resuming : app.resuming) {
          resuming.granted.signal();
        }
      }
      for (Worker worker : workers) {
        worker.wake.signal();
        if (worker.thread != null) {
          threads.add(worker.thread);
        }
      }
    } finally {
      lock.unlock();
    }
    for (Task task : waiting) {
      answer(task, overloaded(task, "the node is shutting down"));
    }
    for (Thread thread : threads) {
      thread.interrupt();
    }
    long until = System.nanoTime() + settings.stopTimeout().toNanos();
    try {
      for (Thread thread : threads) {
        long left = until - System.nanoTime();
        if (left > 0) {
          TimeUnit.NANOSECONDS.timedJoin(thread, left);
        }
        if (thread.isAlive()) {
          log.warn(
              "guest thread {} still running {} after close",
              thread.getName(),
              settings.stopTimeout());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void answer(Task task, InvocationResponse response) {
    try {
      task.reply.accept(response);
    } catch (Throwable e) {
      log.error("could not reply to a request of app '{}'", task.appName, e);
    }
  }

  private static InvocationResponse overloaded(Task task, String message) {
    return FunctionEntity.failure(
        503,
        Failure.Kind.OVERLOADED,
        message,
        (int) Math.max(1, task.limits.retryAfter().toSeconds()));
  }

  private static InvocationResponse internal(Task task, String message) {
    return FunctionEntity.failure(500, Failure.Kind.INTERNAL, message, 0);
  }

  /**
   * What a change of state made startable, and what it found expired; acted on outside the lock.
   */
  private final class Dispatch {
    final List<Task> spawn = new ArrayList<>(0);
    final List<Task> expired = new ArrayList<>(0);

    void run() {
      for (Task task : expired) {
        answer(
            task,
            overloaded(
                task,
                "app '"
                    + task.appName
                    + "' could not start this request before its deadline; it did not run"));
      }
      for (Task task : spawn) {
        Worker worker = new Worker();
        worker.next = task;
        Thread thread =
            new Thread(
                null,
                worker,
                "edgeweave-guest-" + threadNames.incrementAndGet(),
                settings.threadStackSize());
        thread.setDaemon(true);
        boolean refuse;
        lock.lock();
        try {
          refuse = closed;
          if (refuse) {
            finish(task);
          } else {
            worker.thread = thread;
            workers.add(worker);
          }
        } finally {
          lock.unlock();
        }
        if (refuse) {
          answer(task, overloaded(task, "the node is shutting down"));
        } else {
          thread.start();
        }
      }
    }
  }

  /** One request: queued, then running (holding a slot, or waiting in the host), then done. */
  private final class Task {
    final String appName;
    final AppLimits limits;
    final long deadlineNanos;
    final Supplier<InvocationResponse> work;
    final Consumer<InvocationResponse> reply;
    final Condition granted = lock.newCondition();
    long startedNanos;
    boolean holdsSlot;

    Task(
        String appName,
        AppLimits limits,
        long deadlineNanos,
        Supplier<InvocationResponse> work,
        Consumer<InvocationResponse> reply) {
      this.appName = Objects.requireNonNull(appName, "app");
      this.limits = Objects.requireNonNull(limits, "limits");
      this.deadlineNanos = deadlineNanos;
      this.work = Objects.requireNonNull(work, "work");
      this.reply = Objects.requireNonNull(reply, "reply");
    }
  }

  /** One app's share of the scheduler. */
  private static final class AppState {
    final String name;
    final ArrayDeque<Task> queue = new ArrayDeque<>();

    /** Guests of this app done waiting in the host, waiting for a slot to go on. */
    final ArrayDeque<Task> resuming = new ArrayDeque<>();

    AppLimits limits;
    int running;

    /** Started and not finished: running, waiting in the host, or waiting to resume. */
    int started;

    /** Recent mean time from start to end of this app's guests; 0 until one ended. */
    long meanRunNanos;

    /** When this app last got a slot, in picks; 0 if never since it became active. */
    long lastServed;

    AppState(String name) {
      this.name = name;
    }

    boolean wantsSlot(boolean threadAvailable) {
      return !resuming.isEmpty()
          || (!queue.isEmpty() && threadAvailable && started < limits.maxConcurrency());
    }
  }
}
