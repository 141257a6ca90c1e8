package dev.edgeweave.wasmhost.internal;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Idle memories of one module at one page limit, each equal to the module's initial image. A memory
 * comes back only after a clean run and only if it did not grow; it is then restored by copying
 * back the blocks the run wrote. Idle memories count against the engine's bound ({@link
 * MemoryPools}) and are dropped once idle for its timeout. Thread-safe.
 */
public final class MemoryPool {
  private record Idle(GuestMemory memory, long since) {}

  private final MemoryPools owner;
  private final int initialPages;
  private final int maximumPages;
  private final MemoryImage image;
  private final int size;
  // Most recently released first: the warmest memory is reused, the coldest dropped.
  private final ArrayDeque<Idle> idle = new ArrayDeque<>();
  private final AtomicLong idleBytes = new AtomicLong();

  MemoryPool(MemoryPools owner, int initialPages, int maximumPages, MemoryImage image, int size) {
    this.owner = owner;
    this.initialPages = initialPages;
    this.maximumPages = maximumPages;
    this.image = image;
    this.size = image != null ? size : 0;
  }

  /** Whether this pool keeps any memory at all. */
  boolean pools() {
    return size > 0;
  }

  /** A memory ready for a new instance: pooled, copied from the image, or blank. */
  public GuestMemory acquire() {
    if (size > 0) {
      Idle found;
      synchronized (idle) {
        found = idle.pollFirst();
      }
      if (found != null) {
        leaving(found.memory());
        return found.memory();
      }
    }
    return image != null
        ? GuestMemory.fromImage(image, maximumPages)
        : GuestMemory.blank(initialPages, maximumPages);
  }

  /**
   * Takes back a memory after a run that ended cleanly; drops it if it grew, the pool is full or
   * the engine's pooled bytes would pass their bound.
   */
  public void release(GuestMemory memory) {
    if (size == 0 || idleCount() >= size || !memory.resetTo(image)) {
      return;
    }
    long bytes = memory.footprint();
    if (!owner.reserve(bytes)) {
      return;
    }
    boolean kept = false;
    synchronized (idle) {
      if (idle.size() < size) {
        idle.addFirst(new Idle(memory, System.nanoTime()));
        idleBytes.addAndGet(bytes);
        kept = true;
      }
    }
    if (!kept) {
      owner.free(bytes);
    }
  }

  /** Drops the memories released before {@code cutoff} ({@link System#nanoTime()}). */
  void dropIdleSince(long cutoff) {
    while (true) {
      Idle oldest;
      synchronized (idle) {
        oldest = idle.peekLast();
        if (oldest == null || oldest.since() - cutoff >= 0) {
          return;
        }
        idle.pollLast();
      }
      leaving(oldest.memory());
    }
  }

  private void leaving(GuestMemory memory) {
    long bytes = memory.footprint();
    idleBytes.addAndGet(-bytes);
    owner.free(bytes);
  }

  /** How many memories are idle. */
  public int idleCount() {
    synchronized (idle) {
      return idle.size();
    }
  }

  /** Bytes the idle memories hold; shared with the engine's weak reference to this pool. */
  AtomicLong idleBytes() {
    return idleBytes;
  }
}
