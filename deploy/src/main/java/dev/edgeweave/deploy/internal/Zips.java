package dev.edgeweave.deploy.internal;

import dev.edgeweave.deploy.BundleException;
import dev.edgeweave.deploy.BundleLimits;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Reading untrusted zips safely, and writing reproducible ones. */
public final class Zips {

  /** Every entry of a zip we write carries this time, so equal content gives equal bytes. */
  public static final LocalDateTime FIXED_ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

  private static final int COPY_BUFFER_BYTES = 16 * 1024;

  private Zips() {}

  /**
   * Unpacks a zip into memory. Entry names must stay inside the bundle (no absolute paths, no '..'
   * escapes: "zip slip"); entry count and inflated sizes are counted as they are read.
   */
  public static Map<String, byte[]> read(byte[] zip, BundleLimits limits) throws BundleException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    int entries = 0;
    long total = 0;
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry entry;
      while ((entry = nextEntry(in)) != null) {
        entries++;
        if (entries > limits.maxEntries()) {
          throw new BundleException(
              "zip has more than " + limits.maxEntries() + " entries (limit maxEntries)");
        }
        String name = entry.getName();
        Optional<String> normalized = BundlePaths.normalize(name);
        if (normalized.isEmpty() || normalized.get().isEmpty()) {
          if (entry.isDirectory() && normalized.isPresent()) {
            continue; // "./" or similar: the root itself
          }
          throw new BundleException(
              "zip entry '" + name + "' points outside the app (absolute path or '..')");
        }
        if (entry.isDirectory()) {
          continue;
        }
        byte[] bytes = readBounded(in, name, limits, total);
        total += bytes.length;
        if (files.put(normalized.get(), bytes) != null) {
          throw new BundleException("zip has entry '" + normalized.get() + "' more than once");
        }
      }
    } catch (ZipException e) {
      throw new BundleException(List.of("not a valid zip: " + e.getMessage()), e);
    } catch (IOException e) {
      throw new BundleException(List.of("cannot read zip: " + e.getMessage()), e);
    }
    if (entries == 0) {
      throw new BundleException("not a zip, or an empty one: it has no entries");
    }
    Optional<String[]> clash = BundlePaths.fileAboveFile(files.keySet());
    if (clash.isPresent()) {
      throw new BundleException(
          "zip has a file '"
              + clash.get()[0]
              + "' and also entries below it ('"
              + clash.get()[1]
              + "'): a path is either a file or a directory");
    }
    return files;
  }

  private static ZipEntry nextEntry(ZipInputStream in) throws IOException, BundleException {
    try {
      return in.getNextEntry();
    } catch (IllegalArgumentException e) {
      // ZipInputStream reports a name it cannot decode this way, not as a ZipException.
      throw new BundleException(
          List.of(
              "a zip entry's name is not valid UTF-8; zip the app with UTF-8 names"
                  + " (`weave deploy` does)"),
          e);
    }
  }

  private static byte[] readBounded(InputStream in, String name, BundleLimits limits, long before)
      throws IOException, BundleException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[COPY_BUFFER_BYTES];
    long size = 0;
    int n;
    while ((n = in.read(buffer)) > 0) {
      size += n;
      if (size > limits.maxFileBytes()) {
        throw new BundleException(
            "zip entry '"
                + name
                + "' is larger than "
                + limits.maxFileBytes()
                + " bytes (limit maxFileBytes)");
      }
      if (before + size > limits.maxTotalBytes()) {
        throw new BundleException(
            "zip expands to more than "
                + limits.maxTotalBytes()
                + " bytes in all (limit maxTotalBytes)");
      }
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  /** Writes the files in path order with fixed timestamps: the same files give the same bytes. */
  public static byte[] write(SortedMap<String, byte[]> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        ZipEntry entry = new ZipEntry(f.getKey());
        entry.setTimeLocal(FIXED_ENTRY_TIME);
        out.putNextEntry(entry);
        out.write(f.getValue());
        out.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return bytes.toByteArray();
  }
}
