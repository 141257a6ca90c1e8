package dev.edgeweave.wasmhost.internal;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Idle memories of one module at one page limit, each equal to the module's initial image. A memory
 * comes back only after a clean run and only if it did not grow; it is then restored by copying
 * back the blocks the run wrote.
 */
public final class MemoryPool {
  private final int initialPages;
  private final int maximumPages;
  private final MemoryImage image;
  private final ArrayBlockingQueue<GuestMemory> idle;

  /**
   * @param image initial content with data segments applied, or null if the module's memory must be
   *     initialized by running it (then nothing is pooled)
   * @param size how many idle memories to keep; 0 keeps none
   */
  public MemoryPool(int initialPages, int maximumPages, MemoryImage image, int size) {
    this.initialPages = initialPages;
    this.maximumPages = maximumPages;
    this.image = image;
    this.idle = image != null && size > 0 ? new ArrayBlockingQueue<>(size) : null;
  }

  /** A memory ready for a new instance: pooled, copied from the image, or blank. */
  public GuestMemory acquire() {
    if (idle != null) {
      GuestMemory pooled = idle.poll();
      if (pooled != null) {
        return pooled;
      }
    }
    return image != null
        ? GuestMemory.fromImage(image, maximumPages)
        : GuestMemory.blank(initialPages, maximumPages);
  }

  /**
   * Takes back a memory after a run that ended cleanly; drops it if it grew or the pool is full.
   */
  public void release(GuestMemory memory) {
    if (idle != null && idle.remainingCapacity() > 0 && memory.resetTo(image)) {
      idle.offer(memory);
    }
  }

  /** How many memories are idle. */
  public int idleCount() {
    return idle == null ? 0 : idle.size();
  }
}
