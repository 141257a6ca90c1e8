package dev.edgeweave.faults;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every KV operation the workload made, Jepsen style: what it asked, when it was invoked and when
 * it completed, and whether it is acknowledged ({@link Outcome#OK}), surely not applied ({@link
 * Outcome#FAIL}: refused, or an error that means the store did nothing) or indeterminate ({@link
 * Outcome#INFO}: a timeout, a 5xx, {@code UNAVAILABLE} — it may have applied).
 */
final class History {

  enum Kind {
    SET,
    INCREMENT,
    CAS
  }

  enum Outcome {
    OK,
    FAIL,
    INFO
  }

  /**
   * One operation. {@code value} is what a set or swap writes; {@code expected} a swap's expected
   * value (null: the key must be missing); {@code operationId} an increment's id; {@code result}
   * what the store answered (an increment's new value, a swap's "swapped 0/1") or why it failed.
   * {@code certain} marks a swap whose expected value was the client's own last acknowledged write.
   */
  record Op(
      long id,
      String client,
      String node,
      Kind kind,
      String key,
      String value,
      String expected,
      String operationId,
      boolean certain,
      long invokeNanos,
      long completeNanos,
      Outcome outcome,
      String result) {

    boolean swapped() {
      return kind == Kind.CAS && outcome == Outcome.OK && result.endsWith("swapped 1");
    }
  }

  private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
  private final AtomicLong ids = new AtomicLong();

  long nextId() {
    return ids.incrementAndGet();
  }

  void add(Op op) {
    ops.add(op);
  }

  /** Every operation, in order of invocation. */
  List<Op> ops() {
    return ops.stream().sorted(Comparator.comparingLong(Op::invokeNanos)).toList();
  }
}
