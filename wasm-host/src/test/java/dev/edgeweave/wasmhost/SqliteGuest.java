package dev.edgeweave.wasmhost;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * SQLite built for wasm32-wasi during the test run, with our WAGI app {@code sqlite/sqlite-wagi.c}:
 * the amalgamation comes from a pinned release of the npm package better-sqlite3 (its tarball holds
 * {@code deps/sqlite3/sqlite3.c}), checked against the registry's sha512 integrity, and the built
 * module is cached under {@code target/sqlite} by the hash of its sources and flags. Nothing of
 * SQLite is in the repository. A failed download, check or build fails the test.
 */
public final class SqliteGuest {
  static final String PACKAGE_VERSION = "12.9.0";
  static final String TARBALL =
      "https://registry.npmjs.org/better-sqlite3/-/better-sqlite3-" + PACKAGE_VERSION + ".tgz";

  /** {@code dist.integrity} of better-sqlite3@12.9.0 in the npm registry. */
  static final String INTEGRITY =
      "sha512-wqUv4Gm3toFpHDQmaKD4QhZm3g1DjUBI0yzS4UBl6lElUmXFYdTQmmEDpAFa5o8FiFiymURypEnfVHzILKaxqQ==";

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
      run(command);
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

  /** sqlite3.c and sqlite3.h from the package tarball, downloaded once and checked. */
  private static Map<String, byte[]> amalgamation(Path dir) throws IOException {
    Path tarball = dir.resolve("better-sqlite3-" + PACKAGE_VERSION + ".tgz");
    if (!Files.exists(tarball) || !integrityMatches(Files.readAllBytes(tarball))) {
      byte[] downloaded = download();
      if (!integrityMatches(downloaded)) {
        throw new IOException(TARBALL + " does not match its registry integrity " + INTEGRITY);
      }
      Path partial = dir.resolve(tarball.getFileName() + ".part");
      Files.write(partial, downloaded);
      Files.move(partial, tarball, StandardCopyOption.REPLACE_EXISTING);
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

  private static byte[] download() throws IOException {
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(30))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(TARBALL)).timeout(Duration.ofMinutes(2)).build();
    try {
      HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IOException("GET " + TARBALL + " answered " + response.statusCode());
      }
      return response.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while downloading " + TARBALL, e);
    }
  }

  static boolean integrityMatches(byte[] tarball) {
    String expected = INTEGRITY.substring("sha512-".length());
    return Base64.getEncoder().encodeToString(sha("SHA-512").digest(tarball)).equals(expected);
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

  private static void run(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader =
        new Thread(
            () -> {
              try {
                process.getInputStream().transferTo(output);
              } catch (IOException e) {
                // The exit code tells what went wrong.
              }
            });
    reader.start();
    try {
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
      reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          "failed (exit "
              + process.exitValue()
              + "): "
              + String.join(" ", command)
              + "\n"
              + output.toString(StandardCharsets.UTF_8));
    }
  }
}
