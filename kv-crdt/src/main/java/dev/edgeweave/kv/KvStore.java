package dev.edgeweave.kv;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One app's store of one label, with Spin's key-value semantics plus counters and compare-and-swap.
 * Every call completes with its result or exceptionally with a {@link KvException}; the methods
 * without a {@link Consistency} use {@link #consistency()}.
 */
public interface KvStore {

  String app();

  String label();

  /** The consistency of calls that name none (per store: {@code edgeweave.kv.consistency}). */
  Consistency consistency();

  /** The value, or empty if the key is missing. A counter reads as its value in decimal. */
  CompletionStage<Optional<byte[]>> get(String key, Consistency consistency);

  /** Sets the value, replacing a value or a counter. */
  CompletionStage<Void> set(String key, byte[] value, Consistency consistency);

  /** Deletes the key; deleting a missing key is no error. */
  CompletionStage<Void> delete(String key, Consistency consistency);

  CompletionStage<Boolean> exists(String key, Consistency consistency);

  /**
   * Up to {@code pageSize} keys after the cursor (from the first key when empty), ascending.
   *
   * @param cursor the {@link KeyPage#cursor()} of the previous page
   */
  CompletionStage<KeyPage> keys(Optional<String> cursor, int pageSize, Consistency consistency);

  /**
   * Adds {@code delta} to the counter at {@code key} (a missing key counts from 0) and returns the
   * value this node sees after it. Increments made concurrently on any nodes all count. With an
   * operation id, the increment counts once however often it is retried, on any node, within {@code
   * op-id-retention}. Fails with {@code NOT_A_COUNTER} on a key holding a value.
   */
  CompletionStage<Long> increment(
      String key, long delta, Optional<String> operationId, Consistency consistency);

  /**
   * Sets {@code newValue} if the key currently reads {@code expected} (empty: the key is missing),
   * after reading at the given consistency; true if it was set. At {@link Consistency#MAJORITY} it
   * is atomic across every node: of two swaps from the same expected value at most one succeeds,
   * and a node that cannot reach a majority (or the swaps' owner) fails with {@code UNAVAILABLE}
   * instead. At the other levels two nodes may both succeed (the later write wins).
   */
  CompletionStage<Boolean> compareAndSwap(
      String key, Optional<byte[]> expected, byte[] newValue, Consistency consistency);

  default CompletionStage<Optional<byte[]>> get(String key) {
    return get(key, consistency());
  }

  default CompletionStage<Void> set(String key, byte[] value) {
    return set(key, value, consistency());
  }

  default CompletionStage<Void> delete(String key) {
    return delete(key, consistency());
  }

  default CompletionStage<Boolean> exists(String key) {
    return exists(key, consistency());
  }

  default CompletionStage<KeyPage> keys(Optional<String> cursor, int pageSize) {
    return keys(cursor, pageSize, consistency());
  }

  default CompletionStage<Long> increment(String key, long delta) {
    return increment(key, delta, Optional.empty(), consistency());
  }

  default CompletionStage<Long> increment(String key, long delta, String operationId) {
    return increment(key, delta, Optional.of(operationId), consistency());
  }

  /** Compare-and-swap at {@link Consistency#MAJORITY}. */
  default CompletionStage<Boolean> compareAndSwap(
      String key, Optional<byte[]> expected, byte[] newValue) {
    return compareAndSwap(key, expected, newValue, Consistency.MAJORITY);
  }
}
