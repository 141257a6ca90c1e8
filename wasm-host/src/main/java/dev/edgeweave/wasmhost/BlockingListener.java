package dev.edgeweave.wasmhost;

/**
 * Told on a guest's thread when the guest is about to wait in the host (a sleep in {@code
 * poll_oneoff}, and any host call that waits on I/O) and when it is about to run again, so the
 * scheduler that runs guests can lend the waiting guest's share of the CPU to other work meanwhile.
 */
public interface BlockingListener {
  /** Listens to nothing: guests keep their thread's share while they wait. */
  BlockingListener NONE =
      new BlockingListener() {
        @Override
        public void beforeBlocking() {}

        @Override
        public void afterBlocking() {}
      };

  /** The guest on this thread is about to wait; it uses no CPU until {@link #afterBlocking()}. */
  void beforeBlocking();

  /**
   * The guest on this thread is done waiting; returns once it may run again. It may block, and must
   * keep the thread's interrupt status (the wall-time watchdog interrupts a guest to stop it).
   */
  void afterBlocking();
}
