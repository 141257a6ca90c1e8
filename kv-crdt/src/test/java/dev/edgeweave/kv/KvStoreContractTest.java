package dev.edgeweave.kv;

import static dev.edgeweave.kv.TestNodes.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.kv.internal.StoreIds;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What every {@link KvService} does: Spin's key-value semantics, counters, compare-and-swap,
 * isolation between apps and labels, and its limits. An implementation runs it with its service
 * configured with {@link #CONFIG} on top of the defaults.
 */
abstract class KvStoreContractTest {

  /** Per-app settings the limit tests rely on. */
  static final String CONFIG =
      """
      edgeweave.apps {
        "labels" { kv.stores = ["default", "cache", "a/b", "", "ü🙂", "default/0"] }
        "slow-writer" { kv.limits { writes-per-second = 0.001, write-burst = 3 } }
        "small" { kv.limits { max-key-bytes = 16, max-value-bytes = 64, max-bucket-bytes = 1104 } }
        "tiny-app" { kv.limits { max-key-bytes = 64, max-value-bytes = 512, max-bucket-bytes = 2 KiB, max-app-bytes = 2 KiB } }
      }
      """;

  private static final AtomicInteger APPS = new AtomicInteger();

  protected abstract KvService service();

  /** A store no other test uses. */
  private KvStore fresh() {
    return service()
        .open("app-" + getClass().getSimpleName() + "-" + APPS.incrementAndGet(), "default");
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(Optional<byte[]> v) {
    return v.map(x -> new String(x, StandardCharsets.UTF_8)).orElse(null);
  }

  private static KvException.Kind failure(java.util.concurrent.CompletionStage<?> stage) {
    return assertThrows(KvException.class, () -> join(stage)).kind();
  }

  @Test
  void getOfAMissingKeyIsEmpty() {
    assertTrue(join(fresh().get("nothing")).isEmpty());
  }

  @Test
  void setThenGetReturnsTheValueAndASecondSetOverwrites() {
    KvStore store = fresh();
    join(store.set("k", b("one")));
    assertEquals("one", s(join(store.get("k"))));
    join(store.set("k", b("two")));
    assertEquals("two", s(join(store.get("k"))));
  }

  @Test
  void aStoredValueIsACopyOfTheCallersBytes() {
    KvStore store = fresh();
    byte[] value = b("abc");
    join(store.set("k", value));
    value[0] = 'x';
    byte[] read = join(store.get("k")).orElseThrow();
    read[1] = 'y';
    assertEquals("abc", s(join(store.get("k"))));
  }

  @Test
  void anEmptyValueIsAValue() {
    KvStore store = fresh();
    join(store.set("k", new byte[0]));
    assertArrayEquals(new byte[0], join(store.get("k")).orElseThrow());
    assertTrue(join(store.exists("k")));
  }

  @Test
  void deleteRemovesTheKeyAndDeletingAMissingKeyIsNoError() {
    KvStore store = fresh();
    join(store.set("k", b("v")));
    join(store.delete("k"));
    assertTrue(join(store.get("k")).isEmpty());
    assertFalse(join(store.exists("k")));
    join(store.delete("k"));
    join(store.delete("never-there"));
  }

  @Test
  void existsTellsWhetherAKeyIsThere() {
    KvStore store = fresh();
    assertFalse(join(store.exists("k")));
    join(store.set("k", b("v")));
    assertTrue(join(store.exists("k")));
  }

  @Test
  void keysComeInOrderedPagesThatJoinToEveryKeyOnce() {
    KvStore store = fresh();
    TreeSet<String> expected = new TreeSet<>();
    for (int i = 0; i < 45; i++) {
      String key = "key-" + i;
      expected.add(key);
      join(store.set(key, b("v" + i)));
    }
    join(store.set("gone", b("x")));
    join(store.delete("gone"));
    List<String> seen = new ArrayList<>();
    Optional<String> cursor = Optional.empty();
    int pages = 0;
    do {
      KeyPage page = join(store.keys(cursor, 10));
      assertTrue(page.keys().size() <= 10);
      seen.addAll(page.keys());
      cursor = page.cursor();
      pages++;
    } while (cursor.isPresent() && pages < 20);
    assertEquals(new ArrayList<>(expected), seen);
    assertEquals(5, pages);
  }

  @Test
  void keysOfAnEmptyStoreIsOneEmptyPage() {
    KeyPage page = join(fresh().keys(Optional.empty(), 10));
    assertTrue(page.keys().isEmpty());
    assertTrue(page.cursor().isEmpty());
  }

  @Test
  void aPageSizeOutOfRangeOrAForeignCursorIsAnError() {
    KvStore store = fresh();
    assertEquals(KvException.Kind.OTHER, failure(store.keys(Optional.empty(), 0)));
    assertEquals(KvException.Kind.OTHER, failure(store.keys(Optional.of("%%%"), 10)));
  }

  @Test
  void incrementCountsFromZeroAndTheCounterReadsAsDecimal() {
    KvStore store = fresh();
    assertEquals(5L, join(store.increment("hits", 5)));
    assertEquals(3L, join(store.increment("hits", -2)));
    assertEquals("3", s(join(store.get("hits"))));
    assertTrue(join(store.exists("hits")));
    assertEquals(List.of("hits"), join(store.keys(Optional.empty(), 10)).keys());
  }

  @Test
  void anIncrementRetriedWithTheSameOperationIdCountsOnce() {
    KvStore store = fresh();
    assertEquals(7L, join(store.increment("c", 7, "op-1")));
    assertEquals(7L, join(store.increment("c", 7, "op-1")));
    assertEquals(8L, join(store.increment("c", 1, "op-2")));
    assertEquals(9L, join(store.increment("c", 1)));
    assertEquals(10L, join(store.increment("c", 1)));
  }

  @Test
  void incrementOnAKeyHoldingAValueIsNotACounter() {
    KvStore store = fresh();
    join(store.set("k", b("text")));
    assertEquals(KvException.Kind.NOT_A_COUNTER, failure(store.increment("k", 1)));
    assertEquals("text", s(join(store.get("k"))));
  }

  @Test
  void setAndDeleteResetACounter() {
    KvStore store = fresh();
    join(store.increment("c", 4));
    join(store.set("c", b("plain")));
    assertEquals("plain", s(join(store.get("c"))));
    join(store.delete("c"));
    assertFalse(join(store.exists("c")));
    assertEquals(1L, join(store.increment("c", 1)));
  }

  @Test
  void counterOverflowIsAnErrorNotAWrap() {
    KvStore store = fresh();
    join(store.increment("c", Long.MAX_VALUE));
    assertEquals(KvException.Kind.OTHER, failure(store.increment("c", 1)));
    assertEquals(Long.toString(Long.MAX_VALUE), s(join(store.get("c"))));
  }

  @Test
  void compareAndSwapSetsOnlyWhenTheKeyReadsAsExpected() {
    KvStore store = fresh();
    assertTrue(join(store.compareAndSwap("k", Optional.empty(), b("first"))));
    assertFalse(join(store.compareAndSwap("k", Optional.empty(), b("again"))));
    assertFalse(join(store.compareAndSwap("k", Optional.of(b("wrong")), b("x"))));
    assertEquals("first", s(join(store.get("k"))));
    assertTrue(join(store.compareAndSwap("k", Optional.of(b("first")), b("second"))));
    assertEquals("second", s(join(store.get("k"))));
  }

  private static byte[] random(int length, long seed) {
    byte[] v = new byte[length];
    new java.util.Random(seed).nextBytes(v);
    return v;
  }

  @Test
  void aValueOfAMegabyteIsStoredReadOverwrittenAndDeleted() {
    KvStore store = fresh();
    byte[] big = random(1024 * 1024, 1);
    byte[] other = random(1024 * 1024, 2);
    join(store.set("big", big));
    assertArrayEquals(big, join(store.get("big")).orElseThrow());
    assertTrue(join(store.exists("big")));
    assertEquals(List.of("big"), join(store.keys(Optional.empty(), 10)).keys());
    join(store.set("big", other));
    assertArrayEquals(other, join(store.get("big")).orElseThrow());
    assertEquals(KvException.Kind.NOT_A_COUNTER, failure(store.increment("big", 1)));
    join(store.set("big", b("small now")));
    assertEquals("small now", s(join(store.get("big"))));
    join(store.set("big", other));
    join(store.delete("big"));
    assertTrue(join(store.get("big")).isEmpty());
    assertFalse(join(store.exists("big")));
  }

  @Test
  void aValueOneByteOverTheDefaultLimitIsValueTooLarge() {
    KvStore store = fresh();
    assertEquals(
        KvException.Kind.VALUE_TOO_LARGE, failure(store.set("k", new byte[1024 * 1024 + 1])));
    assertEquals(
        KvException.Kind.VALUE_TOO_LARGE,
        failure(store.compareAndSwap("k", Optional.empty(), new byte[1024 * 1024 + 1])));
    assertTrue(join(store.get("k")).isEmpty());
  }

  @Test
  void compareAndSwapComparesAndSetsLargeValuesAtEveryLevel() {
    KvStore store = fresh();
    for (Consistency c : Consistency.values()) {
      String key = "k-" + c;
      byte[] first = random(700_000, c.ordinal());
      byte[] second = random(700_000, c.ordinal() + 10);
      assertTrue(join(store.compareAndSwap(key, Optional.empty(), first, c)));
      assertFalse(join(store.compareAndSwap(key, Optional.of(second), b("x"), c)));
      // Same length, one byte apart: compared by content, not by size.
      byte[] almost = first.clone();
      almost[almost.length - 1] ^= 1;
      assertFalse(join(store.compareAndSwap(key, Optional.of(almost), b("x"), c)));
      assertTrue(join(store.compareAndSwap(key, Optional.of(first), second, c)));
      assertArrayEquals(second, join(store.get(key, c)).orElseThrow());
      assertTrue(join(store.compareAndSwap(key, Optional.of(second), b("small"), c)));
      assertEquals("small", s(join(store.get(key, c))));
    }
  }

  @Test
  void everyConsistencyLevelReadsItsOwnWrites() {
    KvStore store = fresh();
    for (Consistency c : Consistency.values()) {
      join(store.set("k-" + c, b(c.name()), c));
      assertEquals(c.name(), s(join(store.get("k-" + c, c))));
      assertEquals(2L, join(store.increment("n-" + c, 2, Optional.of("id"), c)));
      assertEquals(2L, join(store.increment("n-" + c, 2, Optional.of("id"), c)));
      assertTrue(join(store.compareAndSwap("k-" + c, Optional.of(b(c.name())), b("new"), c)));
      join(store.delete("k-" + c, c));
      assertFalse(join(store.exists("k-" + c, c)));
    }
  }

  @Test
  void noKeyOrLabelReachesAnotherAppsData() {
    KvService kv = service();
    String victimKey = "secret";
    kv.open("labels", "default").set(victimKey, b("victim")).toCompletableFuture().join();
    String victimStore = StoreIds.storeId("labels", "default");
    List<String> hostileKeys =
        List.of(
            victimKey,
            "",
            "/",
            "labels/default/secret",
            "default/secret",
            "kv/" + victimStore + "/0",
            "kv/" + victimStore + "/" + StoreIds.bucketOf(victimKey, 32),
            "\u0000secret",
            "ü🙂",
            "labels\u0000default\u0000secret");
    for (String app : List.of("labels2", "label", "labelsdefault", "labels/default", "ü🙂")) {
      KvStore other = kv.open(app, "default");
      for (String key : hostileKeys) {
        assertTrue(join(other.get(key)).isEmpty(), app + " read " + key);
        assertFalse(join(other.exists(key)), app + " saw " + key);
      }
      assertTrue(join(other.keys(Optional.empty(), 100)).keys().isEmpty(), app);
    }
    // Labels of the same app are separate stores too, whatever their spelling.
    for (String label : List.of("cache", "a/b", "", "ü🙂", "default/0")) {
      if (label.isEmpty()) {
        assertThrows(KvException.class, () -> kv.open("labels", label));
        continue;
      }
      KvStore other = kv.open("labels", label);
      assertTrue(join(other.get(victimKey)).isEmpty(), label);
      assertTrue(join(other.keys(Optional.empty(), 100)).keys().isEmpty(), label);
      join(other.set(victimKey, b("other-" + label)));
    }
    assertEquals("victim", s(join(kv.open("labels", "default").get(victimKey))));
    // Keys with separators and unicode are just keys.
    KvStore store = fresh();
    for (String key : hostileKeys) {
      join(store.set(key, b("v:" + key)));
    }
    for (String key : hostileKeys) {
      assertEquals("v:" + key, s(join(store.get(key))), key);
    }
    assertEquals(
        new TreeSet<>(hostileKeys).size(), join(store.keys(Optional.empty(), 100)).keys().size());
  }

  @Test
  void aLabelTheAppWasNotGivenIsNoSuchStore() {
    KvException e = assertThrows(KvException.class, () -> service().open("some-app", "cache"));
    assertEquals(KvException.Kind.NO_SUCH_STORE, e.kind());
    assertEquals("no-such-store", e.kind().spinKind());
  }

  @Test
  void anAppNameOrKeyThatIsNotValidUnicodeIsRefused() {
    assertThrows(KvException.class, () -> service().open("bad\uD800", "default"));
    KvStore store = fresh();
    assertEquals(KvException.Kind.OTHER, failure(store.set("half\uDC00", b("v"))));
    assertEquals(KvException.Kind.OTHER, failure(store.get("\uD800")));
  }

  @Test
  void keysAndValuesOverTheirLimitsAreRefusedWithTheirKind() {
    KvStore store = service().open("small", "default");
    assertEquals(KvException.Kind.KEY_TOO_LARGE, failure(store.set("k".repeat(17), b("v"))));
    assertEquals(KvException.Kind.KEY_TOO_LARGE, failure(store.get("é".repeat(9))));
    join(store.set("k".repeat(16), new byte[64]));
    assertEquals(KvException.Kind.VALUE_TOO_LARGE, failure(store.set("k", new byte[65])));
    assertTrue(join(store.get("k")).isEmpty());
  }

  @Test
  void aFullBucketIsStoreTableFullAndShrinkingItStillWorks() {
    KvStore store = service().open("small", "default");
    KvException.Kind kind = null;
    List<String> written = new ArrayList<>();
    for (int i = 0; i < 2000 && kind == null; i++) {
      String key = "f" + i;
      try {
        join(store.set(key, new byte[64]));
        written.add(key);
      } catch (KvException e) {
        kind = e.kind();
      }
    }
    assertEquals(KvException.Kind.STORE_TABLE_FULL, kind);
    assertEquals("store-table-full", kind.spinKind());
    join(store.delete(written.get(0)));
    join(store.set(written.get(1), new byte[1]));
  }

  @Test
  void anAppOverItsTotalSizeIsStoreTableFull() {
    KvService kv = service();
    KvStore store = kv.open("tiny-app", "default");
    KvException.Kind kind = null;
    for (int i = 0; i < 200 && kind == null; i++) {
      try {
        join(store.set("k" + i, new byte[400]));
      } catch (KvException e) {
        kind = e.kind();
      }
    }
    assertEquals(KvException.Kind.STORE_TABLE_FULL, kind);
  }

  @Test
  void anAppWritingFasterThanItsRateIsRateLimitedAndReadsStillWork() {
    KvStore store = service().open("slow-writer", "default");
    join(store.set("a", b("1")));
    join(store.set("b", b("2")));
    join(store.increment("c", 1));
    assertEquals(KvException.Kind.RATE_LIMITED, failure(store.set("d", b("4"))));
    assertEquals(KvException.Kind.RATE_LIMITED, failure(store.delete("a")));
    assertEquals("1", s(join(store.get("a"))));
  }
}
