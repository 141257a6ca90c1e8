package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One open key-value store, as the {@code weave} ABI sees it. Every call completes with its result
 * or exceptionally with a {@link KvFailure}; the guest waits for it on its own thread, within its
 * wall time.
 */
public interface KvStoreHandle {
  /** Keys longer than this (UTF-8 bytes) are refused before the host reads them. */
  int maxKeyBytes();

  /** Values longer than this are refused before the host reads them. */
  int maxValueBytes();

  CompletionStage<Optional<byte[]>> get(String key);

  CompletionStage<Void> set(String key, byte[] value);

  CompletionStage<Void> delete(String key);

  CompletionStage<Boolean> exists(String key);

  /** Up to {@code pageSize} keys after {@code cursor} (from the first when empty), ascending. */
  CompletionStage<Page> keys(Optional<String> cursor, int pageSize);

  /** Adds {@code delta} to a counter; a retry with the same operation id counts once. */
  CompletionStage<Long> increment(String key, long delta, Optional<String> operationId);

  /** Sets {@code newValue} if the key reads {@code expected} (empty: missing); true if it did. */
  CompletionStage<Boolean> compareAndSwap(String key, Optional<byte[]> expected, byte[] newValue);

  /** One page of keys and the cursor of the next (empty on the last page). */
  record Page(List<String> keys, Optional<String> cursor) {
    public Page {
      keys = List.copyOf(keys);
      requireNonNull(cursor, "cursor");
    }
  }
}
