package dev.edgeweave.sharding;

import dev.edgeweave.kv.KeyPage;
import dev.edgeweave.kv.KvException;
import dev.edgeweave.kv.KvLimits;
import dev.edgeweave.kv.KvService;
import dev.edgeweave.kv.KvStore;
import dev.edgeweave.wasmhost.KvCapability;
import dev.edgeweave.wasmhost.KvFailure;
import dev.edgeweave.wasmhost.KvStoreHandle;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The key-value stores one component may open, on the node's replicated store: only the labels it
 * declares in spin.toml, only of its own app (a store is per app, so no label reaches another app's
 * data).
 */
final class ComponentKv implements KvCapability {
  private final String app;
  private final String component;
  private final Set<String> labels;
  private final KvService service;
  private final KvLimits limits;

  /**
   * @param service the node's stores; null on a node without them (a declared store is then
   *     NO_SUCH_STORE)
   */
  ComponentKv(
      String app, String component, Set<String> labels, KvService service, KvLimits limits) {
    this.app = app;
    this.component = component;
    this.labels = Set.copyOf(labels);
    this.service = service;
    this.limits = limits;
  }

  @Override
  public KvStoreHandle open(String label) {
    if (!labels.contains(label)) {
      throw new KvFailure(
          KvFailure.Kind.ACCESS_DENIED,
          "component '"
              + component
              + "' did not declare key-value store '"
              + label
              + "' (key_value_stores in spin.toml)");
    }
    if (service == null) {
      throw new KvFailure(
          KvFailure.Kind.NO_SUCH_STORE, "this node offers no key-value store '" + label + "'");
    }
    try {
      return new Handle(service.open(app, label), limits);
    } catch (KvException e) {
      throw failure(e);
    }
  }

  static KvFailure failure(Throwable t) {
    KvException e = KvException.unwrap(t);
    KvFailure.Kind kind =
        switch (e.kind()) {
          case NO_SUCH_STORE -> KvFailure.Kind.NO_SUCH_STORE;
          case ACCESS_DENIED -> KvFailure.Kind.ACCESS_DENIED;
          case STORE_TABLE_FULL -> KvFailure.Kind.STORE_TABLE_FULL;
          case KEY_TOO_LARGE -> KvFailure.Kind.KEY_TOO_LARGE;
          case VALUE_TOO_LARGE -> KvFailure.Kind.VALUE_TOO_LARGE;
          case RATE_LIMITED -> KvFailure.Kind.RATE_LIMITED;
          case NOT_A_COUNTER -> KvFailure.Kind.NOT_A_COUNTER;
          case UNAVAILABLE -> KvFailure.Kind.UNAVAILABLE;
          case OTHER, STORAGE_FAILURE -> KvFailure.Kind.OTHER;
        };
    return new KvFailure(kind, e.getMessage(), e);
  }

  private static <T> CompletionStage<T> mapped(CompletionStage<T> stage) {
    return stage.handle(
        (value, error) -> {
          if (error != null) {
            throw failure(error);
          }
          return value;
        });
  }

  /** One store, its failures as {@link KvFailure}s. */
  private record Handle(KvStore store, KvLimits limits) implements KvStoreHandle {
    @Override
    public int maxKeyBytes() {
      return limits.maxKeyBytes();
    }

    @Override
    public int maxValueBytes() {
      return limits.maxValueBytes();
    }

    @Override
    public CompletionStage<Optional<byte[]>> get(String key) {
      return mapped(store.get(key));
    }

    @Override
    public CompletionStage<Void> set(String key, byte[] value) {
      return mapped(store.set(key, value));
    }

    @Override
    public CompletionStage<Void> delete(String key) {
      return mapped(store.delete(key));
    }

    @Override
    public CompletionStage<Boolean> exists(String key) {
      return mapped(store.exists(key));
    }

    @Override
    public CompletionStage<Page> keys(Optional<String> cursor, int pageSize) {
      return mapped(store.keys(cursor, pageSize))
          .thenApply((KeyPage page) -> new Page(page.keys(), page.cursor()));
    }

    @Override
    public CompletionStage<Long> increment(String key, long delta, Optional<String> operationId) {
      return mapped(store.increment(key, delta, operationId, store.consistency()));
    }

    @Override
    public CompletionStage<Boolean> compareAndSwap(
        String key, Optional<byte[]> expected, byte[] newValue) {
      return mapped(store.compareAndSwap(key, expected, newValue));
    }
  }
}
