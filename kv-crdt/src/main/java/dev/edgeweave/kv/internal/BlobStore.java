package dev.edgeweave.kv.internal;

import dev.edgeweave.kv.KvException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * This node's copies of large values, by {@link BlobRef}: one file per value ({@code <sha-256
 * hex>-<length>}), written to a temporary file, flushed to disk and renamed, so a value is either
 * whole or absent; or in memory when the KV is not durable. Blocking: call it off actor threads.
 */
public final class BlobStore {

  private record Held(byte[] value, long storedAtMillis) {}

  private final Path dir;
  private final Map<BlobRef, Held> memory = new ConcurrentHashMap<>();

  private BlobStore(Path dir) {
    this.dir = dir;
  }

  public static BlobStore onDisk(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the KV's blob directory " + dir, e);
    }
    return new BlobStore(dir);
  }

  public static BlobStore inMemory() {
    return new BlobStore(null);
  }

  private static String name(BlobRef ref) {
    return ref.hex() + "-" + ref.length();
  }

  /** The value, if this node holds it whole. */
  public Optional<byte[]> get(BlobRef ref) {
    if (dir == null) {
      return Optional.ofNullable(memory.get(ref)).map(Held::value);
    }
    try {
      byte[] value = Files.readAllBytes(dir.resolve(name(ref)));
      return value.length == ref.length() ? Optional.of(value) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new KvException(
          KvException.Kind.STORAGE_FAILURE, "cannot read a large value: " + e.getMessage(), e);
    }
  }

  /**
   * Stores the value durably (or renews the time it was stored, if held already).
   *
   * @throws IllegalArgumentException when the bytes are not the value {@code ref} names
   * @throws KvException {@code STORAGE_FAILURE} when the disk does not take it
   */
  public void put(BlobRef ref, byte[] value) {
    if (!ref.matches(value)) {
      throw new IllegalArgumentException("bytes do not match " + ref);
    }
    if (dir == null) {
      memory.put(ref, new Held(value, System.currentTimeMillis()));
      return;
    }
    Path target = dir.resolve(name(ref));
    try {
      if (Files.exists(target)) {
        Files.setLastModifiedTime(target, FileTime.fromMillis(System.currentTimeMillis()));
        return;
      }
      Path tmp = Files.createTempFile(dir, ".put-", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(value);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      } catch (IOException e) {
        Files.deleteIfExists(tmp);
        throw e;
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new KvException(
          KvException.Kind.STORAGE_FAILURE,
          "this node could not store a large value durably: " + e.getMessage(),
          e);
    }
  }

  /**
   * Deletes the values not in {@code keep} that were stored before {@code beforeMillis} (younger
   * ones may be values whose bucket write is still on its way). Returns how many went.
   */
  public int sweep(Set<BlobRef> keep, long beforeMillis) {
    if (dir == null) {
      int[] n = {0};
      memory
          .entrySet()
          .removeIf(
              e -> {
                boolean drop =
                    !keep.contains(e.getKey()) && e.getValue().storedAtMillis() < beforeMillis;
                n[0] += drop ? 1 : 0;
                return drop;
              });
      return n[0];
    }
    Set<String> names = new HashSet<>();
    keep.forEach(r -> names.add(name(r)));
    int n = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String f = p.getFileName().toString();
        if (!names.contains(f) && Files.getLastModifiedTime(p).toMillis() < beforeMillis) {
          Files.deleteIfExists(p);
          n++;
        }
      }
    } catch (IOException e) {
      throw new KvException(
          KvException.Kind.STORAGE_FAILURE, "cannot sweep large values: " + e.getMessage(), e);
    }
    return n;
  }

  /** How many values this node holds. */
  public int count() {
    if (dir == null) {
      return memory.size();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return (int) files.filter(p -> !p.getFileName().toString().startsWith(".")).count();
    } catch (IOException e) {
      throw new KvException(KvException.Kind.STORAGE_FAILURE, e.getMessage(), e);
    }
  }
}
