package dev.edgeweave.wasmhost.internal;

import dev.edgeweave.wasmhost.InvalidModuleException;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compiled modules by sha256, bounded by count and by an estimate of the bytes they hold ({@link
 * ModuleArtifact#weight()}), least recently used evicted first. Concurrent requests for the same
 * digest wait for one compilation instead of starting their own.
 *
 * <p>The cache is the only strong holder of a module besides the functions prepared from it. It
 * also knows every module weakly, so that a module still used by a function is shared, not compiled
 * again, after the cache evicted it; once no function uses it, it is collected.
 */
public final class CompileCache {
  /** Compiles a module; may fail with {@link InvalidModuleException}. */
  @FunctionalInterface
  public interface Compiler {
    ModuleArtifact compile() throws InvalidModuleException;
  }

  private static final class Entry {
    final CompletableFuture<ModuleArtifact> future;
    long weight;

    Entry(CompletableFuture<ModuleArtifact> future) {
      this.future = future;
    }
  }

  private static final class Shared extends WeakReference<ModuleArtifact> {
    final String digest;

    Shared(ModuleArtifact artifact, ReferenceQueue<ModuleArtifact> queue) {
      super(artifact, queue);
      this.digest = artifact.digest();
    }
  }

  private final int capacity;
  private final long maxBytes;
  // Guarded by itself, as is everything below it.
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long cachedBytes;
  private final Map<String, Shared> shared = new HashMap<>();
  private final ReferenceQueue<ModuleArtifact> collected = new ReferenceQueue<>();
  private final AtomicLong compilations = new AtomicLong();

  public CompileCache(int capacity, long maxBytes) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
    }
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must be at least 0, was " + maxBytes);
    }
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  /** The cached artifact for {@code digest}, compiling it with {@code compiler} if absent. */
  public ModuleArtifact get(String digest, Compiler compiler) throws InvalidModuleException {
    Entry entry;
    boolean mine = false;
    synchronized (entries) {
      forgetCollected();
      entry = entries.get(digest);
      if (entry == null) {
        Shared live = shared.get(digest);
        ModuleArtifact artifact = live == null ? null : live.get();
        entry = new Entry(new CompletableFuture<>());
        entries.put(digest, entry);
        if (artifact != null) {
          entry.future.complete(artifact);
          keep(entry, artifact);
        } else {
          mine = true;
          evict();
        }
      }
    }
    if (mine) {
      compilations.incrementAndGet();
      try {
        ModuleArtifact artifact = compiler.compile();
        synchronized (entries) {
          if (entries.get(digest) == entry) {
            keep(entry, artifact);
          }
          shared.put(digest, new Shared(artifact, collected));
        }
        entry.future.complete(artifact);
      } catch (InvalidModuleException | RuntimeException | Error e) {
        // Failures are not cached: the next prepare reports the problem afresh.
        synchronized (entries) {
          entries.remove(digest, entry);
        }
        entry.future.completeExceptionally(e);
      }
    }
    try {
      return entry.future.get();
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

  /** Counts a completed entry's weight and evicts what no longer fits. Holds the lock. */
  private void keep(Entry entry, ModuleArtifact artifact) {
    entry.weight = artifact.weight();
    cachedBytes += entry.weight;
    evict();
  }

  /** Evicts least recently used entries past the count or the byte bound. Holds the lock. */
  private void evict() {
    Iterator<Entry> it = entries.values().iterator();
    while ((entries.size() > capacity || cachedBytes > maxBytes) && it.hasNext()) {
      cachedBytes -= it.next().weight;
      it.remove();
    }
  }

  /** Drops the weak entries of modules that were collected. Holds the lock. */
  private void forgetCollected() {
    for (Reference<? extends ModuleArtifact> r; (r = collected.poll()) != null; ) {
      Shared gone = (Shared) r;
      shared.remove(gone.digest, gone);
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

  /** The estimated bytes of the cached modules. */
  public long cachedBytes() {
    synchronized (entries) {
      return cachedBytes;
    }
  }
}
