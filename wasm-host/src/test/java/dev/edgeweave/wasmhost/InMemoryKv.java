package dev.edgeweave.wasmhost;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Key-value stores in memory for the engine's tests, where the replicated store (a module above
 * this one) cannot be used: the labels it offers, each a sorted map; answers on {@code executor},
 * so a test can make the guest wait.
 */
public final class InMemoryKv implements KvCapability {
  private final Set<String> labels;
  private final Executor executor;
  private final Map<String, TreeMap<String, byte[]>> stores = new ConcurrentHashMap<>();
  private final Set<String> operationIds = new HashSet<>();

  public InMemoryKv(Set<String> labels, Executor executor) {
    this.labels = Set.copyOf(labels);
    this.executor = executor;
  }

  /** Answers on the calling thread: nothing waits. */
  public InMemoryKv(Set<String> labels) {
    this(labels, Runnable::run);
  }

  @Override
  public KvStoreHandle open(String label) {
    if (!labels.contains(label)) {
      throw new KvFailure(KvFailure.Kind.ACCESS_DENIED, "store '" + label + "' not declared");
    }
    TreeMap<String, byte[]> map = stores.computeIfAbsent(label, l -> new TreeMap<>());
    return new Handle(map);
  }

  private final class Handle implements KvStoreHandle {
    private final TreeMap<String, byte[]> map;

    Handle(TreeMap<String, byte[]> map) {
      this.map = map;
    }

    private <T> CompletionStage<T> later(java.util.function.Supplier<T> body) {
      return CompletableFuture.supplyAsync(
          () -> {
            synchronized (map) {
              return body.get();
            }
          },
          executor);
    }

    @Override
    public int maxKeyBytes() {
      return 256;
    }

    @Override
    public int maxValueBytes() {
      return 1024;
    }

    @Override
    public CompletionStage<Optional<byte[]>> get(String key) {
      return later(() -> Optional.ofNullable(map.get(key)));
    }

    @Override
    public CompletionStage<Void> set(String key, byte[] value) {
      return later(
          () -> {
            map.put(key, value.clone());
            return null;
          });
    }

    @Override
    public CompletionStage<Void> delete(String key) {
      return later(
          () -> {
            map.remove(key);
            return null;
          });
    }

    @Override
    public CompletionStage<Boolean> exists(String key) {
      return later(() -> map.containsKey(key));
    }

    @Override
    public CompletionStage<Page> keys(Optional<String> cursor, int pageSize) {
      return later(
          () -> {
            List<String> page = new ArrayList<>();
            for (String key :
                cursor.isPresent() ? map.tailMap(cursor.get(), false).keySet() : map.keySet()) {
              if (page.size() == pageSize) {
                return new Page(page, Optional.of(page.get(page.size() - 1)));
              }
              page.add(key);
            }
            return new Page(page, Optional.empty());
          });
    }

    @Override
    public CompletionStage<Long> increment(String key, long delta, Optional<String> operationId) {
      return later(
          () -> {
            byte[] old = map.get(key);
            long value;
            try {
              value = old == null ? 0 : Long.parseLong(new String(old, StandardCharsets.UTF_8));
            } catch (NumberFormatException e) {
              throw new KvFailure(KvFailure.Kind.NOT_A_COUNTER, "not a counter: " + key);
            }
            if (operationId.isEmpty() || operationIds.add(key + "\0" + operationId.get())) {
              value = Math.addExact(value, delta);
            }
            map.put(key, Long.toString(value).getBytes(StandardCharsets.UTF_8));
            return value;
          });
    }

    @Override
    public CompletionStage<Boolean> compareAndSwap(
        String key, Optional<byte[]> expected, byte[] newValue) {
      return later(
          () -> {
            byte[] current = map.get(key);
            boolean matches =
                expected.isPresent()
                    ? current != null && Arrays.equals(current, expected.get())
                    : current == null;
            if (matches) {
              map.put(key, newValue.clone());
            }
            return matches;
          });
    }
  }
}
