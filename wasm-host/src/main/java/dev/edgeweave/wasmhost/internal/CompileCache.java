package dev.edgeweave.wasmhost.internal;

import dev.edgeweave.wasmhost.InvalidModuleException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compiled modules by sha256, least recently used evicted first. Concurrent requests for the same
 * digest wait for one compilation instead of starting their own.
 */
public final class CompileCache {
  /** Compiles a module; may fail with {@link InvalidModuleException}. */
  @FunctionalInterface
  public interface Compiler {
    ModuleArtifact compile() throws InvalidModuleException;
  }

  private final int capacity;
  private final Map<String, CompletableFuture<ModuleArtifact>> entries;
  private final AtomicLong compilations = new AtomicLong();

  public CompileCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
    }
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(16, 0.75f, true);
  }

  /** The cached artifact for {@code digest}, compiling it with {@code compiler} if absent. */
  public ModuleArtifact get(String digest, Compiler compiler) throws InvalidModuleException {
    CompletableFuture<ModuleArtifact> future;
    boolean mine = false;
    synchronized (entries) {
      future = entries.get(digest);
      if (future == null) {
        future = new CompletableFuture<>();
        entries.put(digest, future);
        mine = true;
        evict();
      }
    }
    if (mine) {
      compilations.incrementAndGet();
      try {
        future.complete(compiler.compile());
      } catch (InvalidModuleException | RuntimeException | Error e) {
        // Failures are not cached: the next prepare reports the problem afresh.
        synchronized (entries) {
          entries.remove(digest, future);
        }
        future.completeExceptionally(e);
      }
    }
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for module " + digest, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof InvalidModuleException) {
        // A fresh exception per caller, so that its stack trace shows the caller.
        throw new InvalidModuleException(cause.getMessage(), cause.getCause());
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IllegalStateException(cause);
    }
  }

  private void evict() {
    var it = entries.entrySet().iterator();
    while (entries.size() > capacity && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  /** How many compilations were started; for tests and metrics. */
  public long compilations() {
    return compilations.get();
  }

  public int size() {
    synchronized (entries) {
      return entries.size();
    }
  }
}
