package dev.edgeweave.wasmhost;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPInputStream;

/**
 * SQLite built for wasm32-wasi during the test run, with our WAGI app {@code sqlite/sqlite-wagi.c}:
 * the amalgamation comes from a pinned release of the npm package better-sqlite3 (its tarball holds
 * {@code deps/sqlite3/sqlite3.c}) that scripts/fetch-test-sources.sh fetched, checked against the
 * registry's sha512 integrity, and the built module is cached under {@code target/sqlite} by the
 * hash of its sources and flags. Nothing of SQLite is in the repository. A missing or altered
 * tarball, or a failed build, fails the test.
 */
public final class SqliteGuest {
  /** Where the amalgamation comes from, shared with scripts/fetch-test-sources.sh. */
  private static final Properties SOURCE = source();

  /**
   * -O1: the amalgamation takes a fraction of -O2's compile time; SQLite picks the wasi defaults
   * itself (no threads, no extension loading, no WAL shared memory, the unix-dotfile VFS).
   */
  static final List<String> FLAGS =
      List.of(
          "--target=wasm32-wasi",
          "--sysroot=/usr",
          "-O1",
          "-g0",
          "-Wl,--strip-all",
          "-DSQLITE_OMIT_LOAD_EXTENSION",
          "-DSQLITE_THREADSAFE=0",
          "-DSQLITE_DEFAULT_MEMSTATUS=0");

  private static byte[] built;

  private SqliteGuest() {}

  /** The WAGI app linked with SQLite, built once per JVM (and cached across runs). */
  public static synchronized byte[] wagiApp() {
    if (built == null) {
      try {
        built = build();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot build SQLite for wasm32-wasi", e);
      }
    }
    return built;
  }

  private static byte[] build() throws IOException {
    Path dir = Paths.get("target", "sqlite").toAbsolutePath();
    Files.createDirectories(dir);
    Map<String, byte[]> sources = amalgamation(dir);
    byte[] app = resource("/sqlite/sqlite-wagi.c");
    MessageDigest key = sha("SHA-256");
    key.update(sources.get("sqlite3.c"));
    key.update(sources.get("sqlite3.h"));
    key.update(app);
    key.update(String.join(" ", FLAGS).getBytes(StandardCharsets.UTF_8));
    Path cached = dir.resolve("sqlite-wagi-" + HexFormat.of().formatHex(key.digest()) + ".wasm");
    if (Files.exists(cached)) {
      return Files.readAllBytes(cached);
    }
    Path src = Files.createTempDirectory(dir, "src");
    Files.write(src.resolve("sqlite3.c"), sources.get("sqlite3.c"));
    Files.write(src.resolve("sqlite3.h"), sources.get("sqlite3.h"));
    Files.write(src.resolve("sqlite-wagi.c"), app);
    Path out = src.resolve("sqlite-wagi.wasm");
    List<String> command = new ArrayList<>();
    command.add("clang-14");
    command.addAll(FLAGS);
    command.addAll(
        List.of(
            "-I",
            src.toString(),
            "-o",
            out.toString(),
            src.resolve("sqlite-wagi.c").toString(),
            src.resolve("sqlite3.c").toString()));
    try {
      TestGuests.run(command, 10);
      Files.move(out, cached, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      try (var files = Files.list(src)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(src);
    }
    return Files.readAllBytes(cached);
  }

  /**
   * sqlite3.c and sqlite3.h from the package tarball that scripts/fetch-test-sources.sh fetched and
   * this checks again. Tests never download: without the tarball the test fails, saying so.
   */
  private static Map<String, byte[]> amalgamation(Path dir) throws IOException {
    Path tarball = dir.resolve(Paths.get(SOURCE.getProperty("cache")).getFileName());
    if (!Files.exists(tarball)) {
      throw new IOException(
          tarball
              + " is missing: run scripts/fetch-test-sources.sh (./test does), which fetches "
              + SOURCE.getProperty("tarball"));
    }
    if (!integrityMatches(Files.readAllBytes(tarball))) {
      throw new IOException(
          tarball
              + " does not match its integrity "
              + SOURCE.getProperty("integrity")
              + ": delete it and run scripts/fetch-test-sources.sh");
    }
    Map<String, byte[]> wanted = new HashMap<>();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(tarball))) {
      byte[] header = new byte[512];
      while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
        String name = field(header, 0, 100);
        String prefix = field(header, 345, 155);
        String path = prefix.isEmpty() ? name : prefix + "/" + name;
        long size = Long.parseLong(field(header, 124, 12).trim(), 8);
        byte[] content = in.readNBytes((int) size);
        in.skipNBytes((512 - size % 512) % 512);
        if (path.equals("package/deps/sqlite3/sqlite3.c")) {
          wanted.put("sqlite3.c", content);
        } else if (path.equals("package/deps/sqlite3/sqlite3.h")) {
          wanted.put("sqlite3.h", content);
        }
      }
    }
    if (wanted.size() != 2) {
      throw new IOException(tarball + " lacks deps/sqlite3/sqlite3.c or sqlite3.h");
    }
    return wanted;
  }

  private static String field(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
  }

  static boolean integrityMatches(byte[] tarball) {
    String expected = SOURCE.getProperty("integrity").substring("sha512-".length());
    return Base64.getEncoder().encodeToString(sha("SHA-512").digest(tarball)).equals(expected);
  }

  private static Properties source() {
    Properties source = new Properties();
    try (InputStream in = SqliteGuest.class.getResourceAsStream("/sqlite/source.properties")) {
      if (in == null) {
        throw new IllegalStateException("no test resource /sqlite/source.properties");
      }
      source.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return source;
  }

  private static MessageDigest sha(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM lacks " + algorithm, e);
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = SqliteGuest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("no test resource " + name);
      }
      return in.readAllBytes();
    }
  }
}
