package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.Table;

/**
 * The tables of one instance, held together to the component's element limit: at instantiation
 * (already checked at prepare) and whenever {@code table.grow} asks for more, which then fails with
 * -1 as it does past a table's declared maximum. One per instance; not thread-safe.
 */
final class TableBudget implements TableFactory {
  private long remaining;

  TableBudget(long maxElements) {
    this.remaining = maxElements;
  }

  @Override
  public TableInstance create(Table table, int initialValue) {
    long size = table.limits().min();
    if (size > remaining) {
      throw new UninstantiableException("tables exceed the component's element limit");
    }
    remaining -= size;
    return new BoundedTable(table, initialValue);
  }

  /** Elements that may still be added to this instance's tables. */
  long remaining() {
    return remaining;
  }

  private final class BoundedTable extends TableInstance {
    BoundedTable(Table table, int initialValue) {
      super(table, initialValue);
    }

    @Override
    public int grow(int size, int value, Instance instance) {
      if (size < 0 || size > remaining) {
        return -1;
      }
      int previous = super.grow(size, value, instance);
      if (previous >= 0) {
        remaining -= size;
      }
      return previous;
    }
  }
}
