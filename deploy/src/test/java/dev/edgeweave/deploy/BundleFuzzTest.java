package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Broken deploy inputs, made by mutating valid ones: whatever the manifest or the zip holds,
 * reading a bundle either succeeds or throws {@link BundleException} with the reason (a 400 from
 * the admin API), never another exception (a 500). Seeded, so a failure names the input that caused
 * it.
 */
class BundleFuzzTest {

  private static final long SEED = 20_240_611L;
  private static final int MANIFEST_ROUNDS = 1500;
  private static final int ZIP_ROUNDS = 1500;

  /** Fragments that mean something to TOML, to paths, to globs or to the guest's environment. */
  private static final List<String> TOKENS =
      List.of(
          "=",
          "\"",
          "'",
          "\\",
          "\u0000",
          "\n",
          "\r",
          "\t",
          "#",
          ".",
          "..",
          "/",
          "/...",
          "../",
          ":",
          ":id",
          "*",
          "**",
          "?",
          "[",
          "]",
          "[[",
          "]]",
          "{",
          "}",
          ",",
          "-",
          "_",
          "é",
          "\uD83D\uDE00",
          "\"A=B\" = \"x\"",
          "\"\" = \"x\"",
          "\"A\u0000B\" = \"x\"",
          "environment = { \"X=Y\" = \"1\", \"\" = \"2\" }\n",
          "files = [\"**/*\"]\n",
          "files = [\"*\", { source = \"static\", destination = \"/web.wasm\" }]\n",
          "files = [{ source = \".\", destination = \"/\" }, \"web.wasm\"]\n",
          "files = [\"\u0000\"]\n",
          "exclude_files = [\"[\"]\n",
          "[component.x]\nsource = \"web.wasm\"\n",
          "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"web\"\nexecutor = { type = \"wagi\" }\n",
          "executor = { type = \"wagi\", entrypoint = \"\" }",
          "executor = { type = \"wagi\", argv = \"\" }",
          "base = \"/.well-known/spin\"",
          "name = \"\"",
          "name = \"a.b\"",
          "name = \"" + "x".repeat(300) + "\"",
          "x".repeat(5000),
          "[".repeat(3000),
          "{a=".repeat(3000),
          "[".repeat(31) + "]".repeat(31),
          "[{a=".repeat(40),
          "1e400",
          "9223372036854775808",
          "-0",
          "inf",
          "nan",
          "true",
          "1979-05-27T07:32:00Z",
          "\"\"\"",
          "'''");

  private static final byte[][] RAW =
      new byte[][] {
        {(byte) 0xff}, {(byte) 0xc3}, {(byte) 0xe9}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {0}
      };

  /** A valid app: its manifest and files, as the zip would hold them. */
  private record Seed(String manifest, Map<String, byte[]> files) {}

  private static List<Seed> seeds() {
    List<Seed> seeds = new ArrayList<>();
    Map<String, byte[]> full = new LinkedHashMap<>();
    full.put("target/cart.wasm", Fixtures.EMPTY_MODULE);
    full.put("static/a.txt", utf8("a"));
    full.put("static/secret.txt", utf8("s"));
    full.put("notes.txt", utf8("n"));
    full.put("README.md", utf8("r"));
    full.put("assets/logo.svg", utf8("<svg/>"));
    seeds.add(new Seed(resource("manifests/valid/full.toml"), full));
    seeds.add(
        new Seed(
            resource("manifests/valid/minimal.toml"), Map.of("app.wasm", Fixtures.module("m"))));
    Map<String, byte[]> web = new LinkedHashMap<>();
    web.put("web.wasm", Fixtures.EMPTY_MODULE);
    web.put("static/index.html", utf8("<p>"));
    web.put("static/sub/deep.txt", utf8("d"));
    seeds.add(
        new Seed(
            Fixtures.manifest(
                "fuzz",
                "/api/:id/...",
                "files = [\"static/**\", { source = \"static\", destination = \"/s\" }]\n"
                    + "environment = { MODE = \"x\" }\n"
                    + "exclude_files = [\"static/sub/**\"]"),
            web));
    return seeds;
  }

  @Test
  void aMutatedManifestShouldBeReadOrRefusedWithTheReasonNeverFailOtherwise() throws Exception {
    onSmallStack(this::mutateManifests);
  }

  @Test
  void aMutatedOrOddlyNamedZipShouldBeReadOrRefusedWithTheReasonNeverFailOtherwise()
      throws Exception {
    onSmallStack(this::mutateZips);
  }

  /**
   * Runs {@code fuzz} on a thread with a smaller stack than the JVM's default, which deploys run
   * with (the test JVM's own threads get more).
   */
  private static void onSmallStack(Runnable fuzz) throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(null, fuzz, "fuzz", 512 * 1024);
    thread.setUncaughtExceptionHandler((t, e) -> failure.set(e));
    thread.start();
    thread.join();
    if (failure.get() instanceof AssertionError e) {
      throw e;
    } else if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  private void mutateManifests() {
    Random random = new Random(SEED);
    List<Seed> seeds = seeds();
    for (int round = 0; round < MANIFEST_ROUNDS; round++) {
      Seed seed = seeds.get(random.nextInt(seeds.size()));
      byte[] manifest = seed.manifest().getBytes(StandardCharsets.UTF_8);
      int mutations = 1 + random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        manifest = mutate(manifest, random, seeds);
      }
      Map<String, byte[]> entries = new LinkedHashMap<>(seed.files());
      entries.put(AppBundle.MANIFEST_FILE, manifest);
      readOrRefuse(zip(entries, StandardCharsets.UTF_8), "manifest round " + round, manifest);
    }
  }

  private void mutateZips() {
    Random random = new Random(SEED + 1);
    List<Seed> seeds = seeds();
    List<String> names =
        List.of(
            "caf\u00e9.txt",
            "a\u0000b",
            "/abs.txt",
            "../up.txt",
            "static/../../up.txt",
            "C:\\win.txt",
            "dir\\file.txt",
            "./",
            "static",
            "static/a.txt/below",
            "web.wasm/x",
            "spin.toml/x",
            ".",
            "\uD83D\uDE00.txt",
            "x".repeat(70_000));
    for (int round = 0; round < ZIP_ROUNDS; round++) {
      Seed seed = seeds.get(random.nextInt(seeds.size()));
      Map<String, byte[]> entries = new LinkedHashMap<>();
      entries.put(AppBundle.MANIFEST_FILE, seed.manifest().getBytes(StandardCharsets.UTF_8));
      entries.putAll(seed.files());
      boolean oddNames = random.nextBoolean();
      if (oddNames) {
        int extra = 1 + random.nextInt(3);
        for (int i = 0; i < extra; i++) {
          String name = names.get(random.nextInt(names.size()));
          if (name.length() < 65_535) {
            entries.put(name, new byte[] {1});
          }
        }
      }
      Charset charset = random.nextBoolean() ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
      byte[] zip = zip(entries, charset);
      if (!oddNames || random.nextBoolean()) {
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
          zip = mutateBytes(zip, random);
        }
      }
      readOrRefuse(zip, "zip round " + round, zip);
    }
  }

  private static void readOrRefuse(byte[] zip, String round, byte[] input) {
    try {
      AppBundle.fromZip(zip, BundleLimits.defaults().withMaxFileBytes(1 << 20));
    } catch (BundleException refused) {
      // the expected refusal, with its reason
    } catch (Throwable other) {
      fail(
          round
              + ": "
              + other
              + "\ninput (ISO-8859-1): "
              + new String(input, 0, Math.min(input.length, 2000), StandardCharsets.ISO_8859_1),
          other);
    }
  }

  private static byte[] mutate(byte[] text, Random random, List<Seed> seeds) {
    int at = text.length == 0 ? 0 : random.nextInt(text.length + 1);
    return switch (random.nextInt(6)) {
      case 0, 1 ->
          insert(
              text, at, TOKENS.get(random.nextInt(TOKENS.size())).getBytes(StandardCharsets.UTF_8));
      case 2 -> insert(text, at, RAW[random.nextInt(RAW.length)]);
      case 3 -> {
        // A line of another manifest, where it may or may not make sense.
        String[] lines = seeds.get(random.nextInt(seeds.size())).manifest().split("\n");
        yield insert(
            text,
            lineStart(text, at),
            (lines[random.nextInt(lines.length)] + "\n").getBytes(StandardCharsets.UTF_8));
      }
      default -> mutateBytes(text, random);
    };
  }

  private static byte[] mutateBytes(byte[] bytes, Random random) {
    if (bytes.length == 0) {
      return bytes;
    }
    int at = random.nextInt(bytes.length);
    byte[] out;
    switch (random.nextInt(4)) {
      case 0 -> {
        out = bytes.clone();
        out[at] = (byte) random.nextInt(256);
      }
      case 1 -> {
        int len = Math.min(bytes.length - at, 1 + random.nextInt(16));
        out = new byte[bytes.length - len];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(bytes, at + len, out, at, bytes.length - at - len);
      }
      case 2 -> {
        int len = Math.min(bytes.length - at, 1 + random.nextInt(32));
        byte[] copy = new byte[len];
        System.arraycopy(bytes, at, copy, 0, len);
        out = insert(bytes, random.nextInt(bytes.length + 1), copy);
      }
      default -> {
        out = new byte[at];
        System.arraycopy(bytes, 0, out, 0, at);
      }
    }
    return out;
  }

  private static int lineStart(byte[] text, int at) {
    int i = Math.min(at, text.length);
    while (i > 0 && text[i - 1] != '\n') {
      i--;
    }
    return i;
  }

  private static byte[] insert(byte[] bytes, int at, byte[] what) {
    byte[] out = new byte[bytes.length + what.length];
    System.arraycopy(bytes, 0, out, 0, at);
    System.arraycopy(what, 0, out, at, what.length);
    System.arraycopy(bytes, at, out, at + what.length, bytes.length - at);
    return out;
  }

  private static byte[] zip(Map<String, byte[]> entries, Charset charset) {
    Charset names =
        entries.keySet().stream().allMatch(n -> charset.newEncoder().canEncode(n))
            ? charset
            : StandardCharsets.UTF_8;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes, names)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static String resource(String name) {
    try {
      return Files.readString(Fixtures.resourceDir(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
