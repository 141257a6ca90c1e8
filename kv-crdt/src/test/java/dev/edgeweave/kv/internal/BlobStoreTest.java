package dev.edgeweave.kv.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {

  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private List<BlobStore> stores() {
    return List.of(BlobStore.onDisk(dir.resolve("blobs")), BlobStore.inMemory());
  }

  @Test
  void aStoredValueIsReadBackByItsReferenceAndOnlyByIt() {
    for (BlobStore store : stores()) {
      BlobRef ref = BlobRef.of(b("a large value"));
      store.put(ref, b("a large value"));
      assertArrayEquals(b("a large value"), store.get(ref).orElseThrow());
      assertTrue(store.get(BlobRef.of(b("another"))).isEmpty());
      assertEquals(1, store.count());
    }
  }

  @Test
  void bytesThatAreNotTheReferencedValueAreRefused() {
    for (BlobStore store : stores()) {
      BlobRef ref = BlobRef.of(b("expected"));
      assertThrows(IllegalArgumentException.class, () -> store.put(ref, b("forged!!")));
      assertTrue(store.get(ref).isEmpty());
      assertEquals(0, store.count());
    }
  }

  @Test
  void aCopyOfTheWrongLengthOnDiskReadsAsMissing() throws Exception {
    BlobStore store = BlobStore.onDisk(dir.resolve("blobs"));
    BlobRef ref = BlobRef.of(b("whole value"));
    store.put(ref, b("whole value"));
    Files.write(dir.resolve("blobs").resolve(ref.hex() + "-" + ref.length()), b("whole"));
    assertTrue(store.get(ref).isEmpty());
  }

  @Test
  void aSweepDeletesOnlyOldValuesNoBucketNames() {
    for (BlobStore store : stores()) {
      BlobRef named = BlobRef.of(b("named"));
      BlobRef unnamed = BlobRef.of(b("unnamed"));
      store.put(named, b("named"));
      store.put(unnamed, b("unnamed"));
      // Stored after the cut-off: young values stay even when unnamed.
      assertEquals(0, store.sweep(Set.of(named), System.currentTimeMillis() - 60_000));
      assertEquals(1, store.sweep(Set.of(named), System.currentTimeMillis() + 60_000));
      assertTrue(store.get(named).isPresent());
      assertFalse(store.get(unnamed).isPresent());
    }
  }
}
