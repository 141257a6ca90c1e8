package dev.edgeweave.deploy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Where a bundle's files come from: a directory on disk, or bytes already in memory. */
public interface FileSource {

  /** Every regular file, as normalised bundle-relative paths, sorted. */
  List<String> list() throws IOException;

  /** The size of a file, or empty when there is no such regular file. */
  Optional<Long> size(String path) throws IOException;

  /** Reads a file known to exist, refusing to read more than {@code maxBytes}. */
  byte[] read(String path, long maxBytes) throws IOException;

  /** Files held in memory (an unpacked zip, or a release read back from the blob store). */
  static FileSource of(Map<String, byte[]> files) {
    TreeMap<String, byte[]> sorted = new TreeMap<>(files);
    return new FileSource() {
      @Override
      public List<String> list() {
        return List.copyOf(sorted.keySet());
      }

      @Override
      public Optional<Long> size(String path) {
        byte[] b = sorted.get(path);
        return b == null ? Optional.empty() : Optional.of((long) b.length);
      }

      @Override
      public byte[] read(String path, long maxBytes) {
        return sorted.get(path);
      }
    };
  }

  /**
   * Files below {@code root}. Symbolic links are not followed: a link could point outside the app,
   * and what is deployed must be what the directory holds.
   */
  static FileSource of(Path root) {
    return new FileSource() {
      private List<String> listing;

      @Override
      public synchronized List<String> list() throws IOException {
        if (listing == null) {
          List<String> paths = new ArrayList<>();
          try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                .map(
                    p ->
                        root.relativize(p)
                            .toString()
                            .replace(p.getFileSystem().getSeparator(), "/"))
                .sorted()
                .forEach(paths::add);
          }
          listing = List.copyOf(paths);
        }
        return listing;
      }

      @Override
      public Optional<Long> size(String path) throws IOException {
        Path p = resolve(path);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || hasLinkBelowRoot(p)) {
          return Optional.empty();
        }
        return Optional.of(Files.size(p));
      }

      @Override
      public byte[] read(String path, long maxBytes) throws IOException {
        try (InputStream in = Files.newInputStream(resolve(path), LinkOption.NOFOLLOW_LINKS)) {
          byte[] bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
          if (bytes.length > maxBytes) {
            throw new IOException(path + " grew past " + maxBytes + " bytes while being read");
          }
          return bytes;
        }
      }

      private Path resolve(String path) {
        return root.resolve(path.replace("/", root.getFileSystem().getSeparator()));
      }

      private boolean hasLinkBelowRoot(Path p) {
        for (Path q = p.getParent(); q != null && !q.equals(root); q = q.getParent()) {
          if (Files.isSymbolicLink(q)) {
            return true;
          }
        }
        return false;
      }
    };
  }
}
