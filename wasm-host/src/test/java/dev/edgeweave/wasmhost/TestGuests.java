package dev.edgeweave.wasmhost;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Test guests, built from the sources in {@code guests/} on the classpath (so this also works from
 * the test-jar) with clang-14 for wasm32-wasi or wat2wasm, once per JVM.
 */
public final class TestGuests {
  private static final Map<String, byte[]> BUILT = new ConcurrentHashMap<>();
  private static volatile Path workDir;

  private TestGuests() {}

  /** The C guest {@code guests/<name>.c}, compiled with wasi-libc. */
  public static byte[] c(String name) {
    return BUILT.computeIfAbsent(name + ".c", k -> build(name, ".c"));
  }

  /** The WAT guest {@code guests/<name>.wat}, assembled. */
  public static byte[] wat(String name) {
    return BUILT.computeIfAbsent(name + ".wat", k -> build(name, ".wat"));
  }

  /** A guest written by the test itself as WAT text, assembled once per name. */
  public static byte[] watText(String name, String text) {
    return BUILT.computeIfAbsent(
        name + ".generated.wat",
        k -> build(name + ".generated", ".wat", text.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] build(String name, String extension) {
    try (InputStream in = TestGuests.class.getResourceAsStream("/guests/" + name + extension)) {
      if (in == null) {
        throw new IllegalArgumentException("no test guest guests/" + name + extension);
      }
      return build(name, extension, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read test guest " + name + extension, e);
    }
  }

  private static byte[] build(String name, String extension, byte[] sourceText) {
    try {
      Path dir = workDir();
      Path source = dir.resolve(name + extension);
      Files.write(source, sourceText);
      if (extension.equals(".c")) {
        // The weave ABI's header, for guests that call the host beyond WASI.
        try (InputStream header = TestGuests.class.getResourceAsStream("/guests/weave.h")) {
          Files.write(dir.resolve("weave.h"), header.readAllBytes());
        }
      }
      Path output = dir.resolve(name + (extension.equals(".c") ? ".c.wasm" : ".wat.wasm"));
      List<String> command =
          extension.equals(".c")
              ? List.of(
                  "clang-14",
                  "--target=wasm32-wasi",
                  "--sysroot=/usr",
                  "-O2",
                  "-g0",
                  "-Wl,--strip-all",
                  "-o",
                  output.toString(),
                  source.toString())
              : List.of("wat2wasm", source.toString(), "-o", output.toString());
      run(command, 2);
      return Files.readAllBytes(output);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build test guest " + name + extension, e);
    }
  }

  /** Runs a build command; fails with its output if it fails or takes longer than the minutes. */
  static void run(List<String> command, int minutes) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
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
              + output);
    }
  }

  private static Path workDir() throws IOException {
    Path dir = workDir;
    if (dir == null) {
      synchronized (TestGuests.class) {
        dir = workDir;
        if (dir == null) {
          dir = Files.createTempDirectory("edgeweave-test-guests");
          Path created = dir;
          Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(created)));
          workDir = dir;
        }
      }
    }
    return dir;
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // Best effort: it is a temp directory.
    }
  }
}
