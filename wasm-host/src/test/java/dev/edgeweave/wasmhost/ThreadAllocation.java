package dev.edgeweave.wasmhost;

import java.lang.management.ManagementFactory;

/** Bytes the calling thread allocates on the heap, as the JVM counts them. */
public final class ThreadAllocation {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private ThreadAllocation() {}

  /** Bytes allocated so far by the calling thread; fails if the JVM cannot tell. */
  public static long current() {
    if (!THREADS.isThreadAllocatedMemorySupported() || !THREADS.isThreadAllocatedMemoryEnabled()) {
      throw new IllegalStateException("this JVM does not measure per-thread allocation");
    }
    return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
  }
}
