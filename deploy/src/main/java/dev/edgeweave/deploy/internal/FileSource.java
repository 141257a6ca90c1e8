package dev.edgeweave.deploy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Where a bundle's files come from: a directory on disk, or bytes already in memory. */
public interface FileSource {

  /** Every regular file, as normalised bundle-relative paths, sorted. */
  List<String> list() throws IOException;

  /** The size of a file, or empty when there is no such regular file. */
  Optional<Long> size(String path) throws IOException;

  /** Reads a file known to exist, refusing to read more than {@code maxBytes}. */
  byte[] read(String path, long maxBytes) throws IOException;

  /** Only the names of files (a stored release's), for laying paths out; nothing can be read. */
  static FileSource listing(Collection<String> paths) {
    List<String> sorted = paths.stream().sorted().toList();
    java.util.Set<String> known = java.util.Set.copyOf(paths);
    return new FileSource() {
      @Override
      public List<String> list() {
        return sorted;
      }

      @Override
      public Optional<Long> size(String path) {
        return known.contains(path) ? Optional.of(0L) : Optional.empty();
      }

      @Override
      public byte[] read(String path, long maxBytes) throws IOException {
        throw new IOException("only the names of the files are known here, not " + path);
      }
    };
  }

  /** Files held in memory (an unpacked zip). */
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
   * Files below {@code root}, except those in or resolving into {@code excluded} directories.
   * Symbolic links are not followed: a link could point outside the app, and what is deployed must
   * be what the directory holds.
   */
  static FileSource of(Path root, Collection<Path> excluded) throws IOException {
    List<Path> hidden = new ArrayList<>();
    for (Path e : excluded) {
      hidden.add(real(e));
    }
    return new FileSource() {
      private List<String> listing;

      @Override
      public synchronized List<String> list() throws IOException {
        if (listing == null) {
          List<String> paths = new ArrayList<>();
          Files.walkFileTree(
              root,
              new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
                    throws IOException {
                  return isHidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                    throws IOException {
                  // Not following links, the walk sees a link as a link, never as a file.
                  if (attrs.isRegularFile() && !isHidden(file)) {
                    paths.add(
                        root.relativize(file)
                            .toString()
                            .replace(file.getFileSystem().getSeparator(), "/"));
                  }
                  return FileVisitResult.CONTINUE;
                }
              });
          paths.sort(null);
          listing = List.copyOf(paths);
        }
        return listing;
      }

      @Override
      public Optional<Long> size(String path) throws IOException {
        Path p = resolve(path);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
            || hasLinkBelowRoot(p)
            || isHidden(p)) {
          return Optional.empty();
        }
        return Optional.of(Files.size(p));
      }

      @Override
      public byte[] read(String path, long maxBytes) throws IOException {
        Path p = resolve(path);
        if (isHidden(p)) {
          throw new IOException(path + " is not part of the app");
        }
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
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

      private boolean isHidden(Path p) throws IOException {
        Path actual = real(p);
        return hidden.stream().anyMatch(actual::startsWith);
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

  /** Where {@code p} really is: links resolved when it exists, else its absolute form. */
  static Path real(Path p) throws IOException {
    return Files.exists(p) ? p.toRealPath() : p.toAbsolutePath().normalize();
  }
}
