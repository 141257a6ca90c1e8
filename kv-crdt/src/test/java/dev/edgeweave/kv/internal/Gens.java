package dev.edgeweave.kv.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** Generators for the property tests, over small domains so that values collide often. */
final class Gens {
  private Gens() {}

  static <T> Gen<T> oneOf(List<T> values) {
    return Generate.pick(values);
  }

  static Gen<String> oneOf(String... values) {
    return Generate.pick(List.of(values));
  }

  static Gen<Long> longs(long min, long max) {
    return Generate.longRange(min, max);
  }

  static Gen<Integer> ints(int min, int max) {
    return Generate.range(min, max);
  }

  static Gen<Boolean> booleans() {
    return Generate.booleans();
  }

  /** {@code gen}'s values, or null about {@code percentNull} percent of the time. */
  static <T> Gen<T> orNull(Gen<T> gen, int percentNull) {
    Gen<T> none = in -> null;
    return Generate.frequency(List.of(Pair.of(percentNull, none), Pair.of(100 - percentNull, gen)));
  }

  /** Lists of {@code min} to {@code max} elements. */
  static <T> Gen<List<T>> lists(Gen<T> element, int min, int max) {
    Gen<Integer> size = Generate.range(min, max);
    return in -> {
      int n = size.generate(in);
      List<T> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(element.generate(in));
      }
      return out;
    };
  }

  /** Maps of at most {@code maxSize} entries (keys drawn may repeat, so often fewer). */
  static <K, V> Gen<Map<K, V>> maps(Gen<K> keys, Gen<V> values, int maxSize) {
    Gen<Integer> size = Generate.range(0, maxSize);
    return in -> {
      int n = size.generate(in);
      Map<K, V> out = new HashMap<>();
      for (int i = 0; i < n; i++) {
        out.put(keys.generate(in), values.generate(in));
      }
      return out;
    };
  }
}
