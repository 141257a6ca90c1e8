package dev.edgeweave.wasmhost.internal;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory pools of one engine, held to a node-wide bound on the bytes they keep idle, with idle
 * memories dropped once unused for the idle timeout. Pools are known here only weakly: a function
 * that is no longer referenced is collected with its pool, whose bytes are then given back.
 */
public final class MemoryPools {
  private final long maxBytes;
  private final long idleTimeoutNanos;
  private final AtomicLong pooledBytes = new AtomicLong();
  private final Set<PoolReference> pools = ConcurrentHashMap.newKeySet();
  private final ReferenceQueue<MemoryPool> collected = new ReferenceQueue<>();

  /** Knows its pool weakly, and the bytes that pool holds, to give them back once collected. */
  private static final class PoolReference extends WeakReference<MemoryPool> {
    final AtomicLong bytes;

    PoolReference(MemoryPool pool, ReferenceQueue<MemoryPool> queue) {
      super(pool, queue);
      this.bytes = pool.idleBytes();
    }
  }

  public MemoryPools(long maxBytes, Duration idleTimeout) {
    this.maxBytes = maxBytes;
    this.idleTimeoutNanos = idleTimeout.toNanos();
  }

  /**
   * A pool of memories equal to {@code image}, keeping at most {@code size} idle.
   *
   * @param image initial content with data segments applied, or null if the module's memory must be
   *     initialized by running it (then nothing is pooled)
   */
  public MemoryPool create(int initialPages, int maximumPages, MemoryImage image, int size) {
    MemoryPool pool = new MemoryPool(this, initialPages, maximumPages, image, size);
    if (pool.pools()) {
      pools.add(new PoolReference(pool, collected));
    }
    return pool;
  }

  /** Takes {@code bytes} of the node-wide bound for a memory about to be pooled, if they fit. */
  boolean reserve(long bytes) {
    long current;
    do {
      current = pooledBytes.get();
      if (current + bytes > maxBytes) {
        return false;
      }
    } while (!pooledBytes.compareAndSet(current, current + bytes));
    return true;
  }

  /** Gives back what {@link #reserve} took, once the memory left the pool. */
  void free(long bytes) {
    pooledBytes.addAndGet(-bytes);
  }

  long idleTimeoutNanos() {
    return idleTimeoutNanos;
  }

  /**
   * Drops memories idle for longer than the timeout and forgets collected pools; run periodically.
   */
  public void sweep() {
    for (Reference<? extends MemoryPool> r; (r = collected.poll()) != null; ) {
      PoolReference gone = (PoolReference) r;
      pools.remove(gone);
      free(gone.bytes.getAndSet(0));
    }
    long cutoff = System.nanoTime() - idleTimeoutNanos;
    for (PoolReference reference : pools) {
      MemoryPool pool = reference.get();
      if (pool != null) {
        pool.dropIdleSince(cutoff);
      }
    }
  }

  /** Bytes held by idle memories of all pools. */
  public long pooledBytes() {
    return pooledBytes.get();
  }
}
