package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.edgeweave.wasmhost.BlockingListener;
import dev.edgeweave.wasmhost.GuestException;
import dev.edgeweave.wasmhost.GuestException.Kind;
import dev.edgeweave.wasmhost.Limits;
import java.time.Duration;

/**
 * Runs a prepared module's entrypoint in a fresh instance under the component's limits, and turns
 * every way a guest can fail into a {@link GuestException}. Shared by the executors; thread-safe.
 */
public final class GuestRunner {
  /** How much of stderr an error message quotes. */
  static final int STDERR_IN_MESSAGE = 1024;

  private final ModuleArtifact artifact;
  private final String component;
  private final String entrypoint;
  private final Duration wallTime;
  private final int maxTableElements;
  private final int maximumPages;
  private final MemoryLimits memoryLimits;
  private final MemoryPool pool;
  private final Watchdog watchdog;
  private final BlockingListener blockingListener;

  public GuestRunner(
      ModuleArtifact artifact,
      String component,
      String entrypoint,
      Limits limits,
      Watchdog watchdog,
      MemoryPools pools,
      int poolSize,
      BlockingListener blockingListener) {
    this.artifact = artifact;
    this.component = component;
    this.entrypoint = entrypoint;
    this.wallTime = limits.wallTime();
    this.maxTableElements = limits.maxTableElements();
    this.watchdog = watchdog;
    this.blockingListener = blockingListener;
    if (artifact.hasMemory()) {
      this.maximumPages = Math.min(artifact.declaredMaximumPages(), limits.maxMemoryPages());
      // Always explicit limits: without them Chicory sizes a page table for 4 GiB per instance.
      this.memoryLimits = new MemoryLimits(artifact.initialPages(), maximumPages);
      this.pool = pools.create(artifact.initialPages(), maximumPages, artifact.image(), poolSize);
    } else {
      this.maximumPages = 0;
      this.memoryLimits = null;
      this.pool = null;
    }
  }

  /**
   * Runs the entrypoint with {@code context} as its WASI state. Returns normally if the guest
   * returned or exited with code 0.
   */
  public void run(WasiContext context) throws GuestException {
    int exitCode = runToExit(context);
    if (exitCode != 0) {
      throw new GuestException(
          Kind.EXIT, component, "exited with code " + exitCode, stderr(context), null);
    }
  }

  /**
   * Runs the entrypoint as a command: returns its exit code (0 if it returned), and fails only if
   * it did not exit (trap, timeout, limits).
   */
  public int runToExit(WasiContext context) throws GuestException {
    GuestMemory memory = pool != null ? pool.acquire() : null;
    Watchdog.Ticket ticket = watchdog.start(wallTime);
    boolean clean = false;
    int exitCode = 0;
    context.attach(ticket.deadlineNanos(), blockingListener);
    try {
      Instance.Builder builder =
          Instance.builder(artifact.module())
              .withImportValues(artifact.imports())
              .withMachineFactory(artifact.machineFactory())
              .withTableFactory(new TableBudget(maxTableElements))
              .withStart(false);
      if (memory != null) {
        builder.withMemoryLimits(memoryLimits).withMemoryFactory(limits -> memory);
      }
      Instance instance = builder.build();
      try {
        instance.export(entrypoint).apply();
      } catch (ProcExit exit) {
        exitCode = exit.code();
      }
      clean = true;
    } catch (ProcExit exit) {
      // proc_exit from a start function, while the instance was being built.
      exitCode = exit.code();
      clean = true;
    } catch (OutputLimitExceeded e) {
      throw new GuestException(Kind.OUTPUT_LIMIT, component, e.getMessage());
    } catch (ChicoryInterruptedException e) {
      throw new GuestException(
          Kind.TIMEOUT,
          component,
          ticket.fired() || ticket.expired()
              ? "exceeded its wall time of " + wallTime.toMillis() + " ms"
              : "interrupted before it finished",
          e);
    } catch (ChicoryException e) {
      throw died(memory, context, "trapped: " + e.getMessage(), "", e);
    } catch (StackOverflowError e) {
      throw died(memory, context, "trapped: call stack exhausted", "", e);
    } catch (RuntimeException e) {
      throw died(memory, context, "failed in a host call", ": " + e, e);
    } catch (Error e) {
      // Out of heap, a linkage error...: this request fails, the node goes on. The memory is not
      // pooled (clean stays false), since the run stopped at an arbitrary point.
      throw new GuestException(
          Kind.INTERNAL, component, "failed inside the host", ": " + e + stderr(context), e);
    } finally {
      WasiContext.detach();
      ticket.finish();
      if (memory != null && clean) {
        pool.release(memory);
      }
    }
    if (exitCode != 0 && memory != null && memory.limitHit()) {
      throw new GuestException(
          Kind.MEMORY_LIMIT,
          component,
          memoryLimitMessage() + "; it then exited with code " + exitCode,
          stderr(context),
          null);
    }
    return exitCode;
  }

  private GuestException died(
      GuestMemory memory, WasiContext context, String reason, String details, Throwable cause) {
    if (memory != null && memory.limitHit()) {
      return new GuestException(
          Kind.MEMORY_LIMIT, component, memoryLimitMessage() + "; then " + reason, details, cause);
    }
    return new GuestException(Kind.TRAP, component, reason, details + stderr(context), cause);
  }

  private String memoryLimitMessage() {
    return "hit its memory limit of " + maximumPages + " pages (" + maximumPages * 64L + " KiB)";
  }

  private static String stderr(WasiContext context) {
    String tail = context.stderrTail(STDERR_IN_MESSAGE).strip();
    return tail.isEmpty() ? "" : "; stderr: " + tail;
  }

  /** The page limit the guest's memory runs under. */
  public int maximumPages() {
    return maximumPages;
  }

  MemoryPool pool() {
    return pool;
  }
}
