package dev.edgeweave.kv;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a store's keys in ascending order, and the cursor of the next page (empty on the last
 * page).
 */
public record KeyPage(List<String> keys, Optional<String> cursor) {

  public KeyPage {
    keys = List.copyOf(keys);
    Objects.requireNonNull(cursor, "cursor");
  }
}
