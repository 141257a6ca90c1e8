package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppBundleTest {

  @TempDir Path dir;

  private static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, String> asText(Map<String, byte[]> files) {
    Map<String, String> text = new TreeMap<>();
    files.forEach((k, v) -> text.put(k, new String(v, StandardCharsets.UTF_8)));
    return text;
  }

  private BundleException rejected(String componentExtra, Map<String, ?> files) {
    Map<String, Object> all = new TreeMap<>(files);
    all.put("spin.toml", Fixtures.manifest("app", "/...", componentExtra));
    Fixtures.writeApp(dir, all);
    return assertThrows(BundleException.class, () -> AppBundle.fromDirectory(dir));
  }

  @Test
  void directoryShouldYieldModuleManifestAndRoutes() throws Exception {
    Fixtures.writeApp(
        dir,
        Map.of(
            "spin.toml",
            Fixtures.manifest("app", "/hello/...", ""),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "unrelated/big.bin",
            new byte[1000]));

    AppBundle bundle = AppBundle.fromDirectory(dir);

    assertEquals("app", bundle.name());
    assertArrayEquals(Fixtures.EMPTY_MODULE, bundle.components().get("web").module());
    assertEquals("web.wasm", bundle.components().get("web").source());
    assertEquals(List.of("web.wasm"), List.copyOf(bundle.files().keySet()));
    assertEquals("web", bundle.routes().match("/hello/x").orElseThrow().componentId());
    assertEquals(Files.readString(dir.resolve("spin.toml")), bundle.manifestText());
  }

  @Test
  void globFilesShouldMountAtTheirPathUnderTheGuestRoot() throws Exception {
    Fixtures.writeApp(
        dir,
        Map.of(
            "spin.toml",
            Fixtures.manifest(
                "app",
                "/...",
                "files = [\"static/**\", \"*.txt\", \"docs/guide.md\"]\n"
                    + "exclude_files = [\"static/private/*\"]"),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "static/a.txt",
            "a",
            "static/sub/b.css",
            "b",
            "static/private/key",
            "secret",
            "top.txt",
            "top",
            "sub/not-top.txt",
            "no",
            "docs/guide.md",
            "guide"));

    AppBundle bundle = AppBundle.fromDirectory(dir);

    assertEquals(
        Map.of(
            "/static/a.txt", "a",
            "/static/sub/b.css", "b",
            "/top.txt", "top",
            "/docs/guide.md", "guide"),
        asText(bundle.components().get("web").files()));
  }

  @Test
  void placementShouldMountADirectoryAtItsDestination() throws Exception {
    Fixtures.writeApp(
        dir,
        Map.of(
            "spin.toml",
            Fixtures.manifest(
                "app",
                "/...",
                "files = [{ source = \"assets\", destination = \"/data\" },"
                    + " { source = \"root\", destination = \"/\" }]"),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "assets/x.json",
            "{}",
            "assets/deep/y.txt",
            "y",
            "root/index.html",
            "<html>"));

    AppBundle bundle = AppBundle.fromDirectory(dir);

    assertEquals(
        Map.of("/data/x.json", "{}", "/data/deep/y.txt", "y", "/index.html", "<html>"),
        asText(bundle.components().get("web").files()));
  }

  @Test
  void missingSourceShouldNameTheComponentAndPath() {
    BundleException e = rejected("", Map.of());

    assertEquals(List.of("component 'web': source 'web.wasm' is not in the app"), e.errors());
  }

  @Test
  void sourceThatIsNotWasmShouldSaySo() {
    BundleException e = rejected("", Map.of("web.wasm", "#!/bin/sh\necho hi\n"));

    assertEquals(
        List.of(
            "component 'web': source 'web.wasm' is not a WebAssembly module: it does not start"
                + " with \\0asm"),
        e.errors());
  }

  @Test
  void componentModelBinaryShouldBeRejectedWithTheReason() {
    byte[] component = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

    BundleException e = rejected("", Map.of("web.wasm", component));

    assertTrue(e.getMessage().contains("is a WebAssembly component"), e.getMessage());
  }

  @Test
  void escapingPathsShouldBeRejectedNamingComponentAndPath() throws IOException {
    Files.writeString(dir.resolve("outside.txt"), "secret");
    Path app = Files.createDirectories(dir.resolve("app"));
    Fixtures.writeApp(
        app,
        Map.of(
            "spin.toml",
            Fixtures.manifest(
                "app",
                "/...",
                "files = [\"../outside.txt\", \"/etc/passwd\", \"static/../../outside.txt\","
                    + " { source = \"../\", destination = \"/up\" },"
                    + " { source = \"static\", destination = \"/../x\" }]"),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "static/a.txt",
            "a"));

    BundleException e = assertThrows(BundleException.class, () -> AppBundle.fromDirectory(app));

    assertEquals(
        List.of(
            "component 'web': files[0] '../outside.txt' points outside the app directory",
            "component 'web': files[1] '/etc/passwd' points outside the app directory",
            "component 'web': files[2] 'static/../../outside.txt' points outside the app"
                + " directory",
            "component 'web': files[3] source '../' points outside the app directory",
            "component 'web': files[4] destination '/../x' is not an absolute guest path"),
        e.errors());
  }

  @Test
  void sourceEscapingTheAppShouldBeRejected() throws IOException {
    Files.createDirectories(dir.resolve("app"));
    Files.write(dir.resolve("outside.wasm"), Fixtures.EMPTY_MODULE);
    Files.writeString(
        dir.resolve("app/spin.toml"),
        Fixtures.manifest("app", "/", "").replace("\"web.wasm\"", "\"../outside.wasm\""));

    BundleException e =
        assertThrows(BundleException.class, () -> AppBundle.fromDirectory(dir.resolve("app")));

    assertEquals(
        List.of("component 'web': source '../outside.wasm' points outside the app directory"),
        e.errors());
  }

  @Test
  void missingFilesShouldBeReportedTogether() {
    BundleException e =
        rejected(
            "files = [\"missing.txt\", \"static\", { source = \"nowhere\", destination = \"/n\" }]",
            Map.of("web.wasm", Fixtures.EMPTY_MODULE, "static/a.txt", "a"));

    assertEquals(
        List.of(
            "component 'web': files[0] 'missing.txt' is not in the app",
            "component 'web': files[1] 'static' is a directory; use 'static/**' or"
                + " { source = \"static\", destination = \"/...\" }",
            "component 'web': files[2] source directory 'nowhere' is not in the app"),
        e.errors());
  }

  @Test
  void invalidManifestShouldSurfaceItsErrors() {
    Fixtures.writeApp(dir, Map.of("spin.toml", "spin_manifest_version = 1\n"));

    BundleException e = assertThrows(BundleException.class, () -> AppBundle.fromDirectory(dir));

    assertEquals(
        List.of("spin_manifest_version: found 1; only spin_manifest_version = 2 is supported"),
        e.errors());
  }

  @Test
  void directoryWithoutManifestShouldBeRejected() {
    BundleException e = assertThrows(BundleException.class, () -> AppBundle.fromDirectory(dir));

    assertTrue(e.getMessage().startsWith("no spin.toml in "), e.getMessage());
  }

  @Test
  void aGuestPathMountedAsAFileAndAsADirectoryShouldBeRefusedWithTheReason() throws Exception {
    BundleException mounts =
        rejected(
            "files = [\"notes.txt\", { source = \"static\", destination = \"/notes.txt\" }]",
            Map.of("web.wasm", Fixtures.EMPTY_MODULE, "notes.txt", "n", "static/a.txt", "a"));
    assertTrue(
        mounts
            .getMessage()
            .contains("'/notes.txt' is a file and also a directory of '/notes.txt/a.txt'"),
        mounts.getMessage());

    byte[] zip =
        zip(
            new TreeMap<>(
                Map.of(
                    "spin.toml",
                    utf8(Fixtures.manifest("app", "/...", "files = [\"**\"]")),
                    "web.wasm",
                    Fixtures.EMPTY_MODULE,
                    "a",
                    utf8("file"),
                    "a/b",
                    utf8("below a file"))));
    BundleException zipped = assertThrows(BundleException.class, () -> AppBundle.fromZip(zip));
    assertTrue(zipped.getMessage().contains("'a'"), zipped.getMessage());
    assertTrue(zipped.getMessage().contains("'a/b'"), zipped.getMessage());
  }

  /** An app whose files glob takes everything, with a node's data directory inside it. */
  private Path appWithDataDir(String dataDir) {
    Path app = dir.resolve("app-" + dataDir.replace('/', '-'));
    return Fixtures.writeApp(
        app,
        Map.of(
            "spin.toml",
            Fixtures.manifest("app", "/", "files = [\"**/*\"]"),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "static/ok.txt",
            "ok",
            dataDir + "/admin-token",
            "token",
            dataDir + "/apps/blobs/sha256/0123",
            "blob"));
  }

  @Test
  void theWeaveDirectoryShouldNeverBeMountedWhateverTheGlob() throws Exception {
    Path app = appWithDataDir(".weave/data");

    AppBundle bundle = AppBundle.fromDirectory(app);

    assertEquals(
        List.of("/spin.toml", "/static/ok.txt", "/web.wasm"),
        List.copyOf(new TreeMap<>(bundle.components().get("web").files()).keySet()));
    assertEquals(
        List.of("spin.toml", "static/ok.txt", "web.wasm"), List.copyOf(bundle.files().keySet()));
    // Nor by name, nor as the module.
    Files.writeString(
        app.resolve("spin.toml"),
        Fixtures.manifest("app", "/", "files = [\".weave/data/admin-token\"]"));
    BundleException named = assertThrows(BundleException.class, () -> AppBundle.fromDirectory(app));
    assertTrue(named.getMessage().contains("is not in the app"), named.getMessage());
  }

  @Test
  void aDataDirectoryGivenToTheLoaderShouldNeverBeMountedNorAnythingResolvingIntoIt()
      throws Exception {
    Path app = appWithDataDir("node-state");
    Path data = app.resolve("node-state");
    // A link into it from the app, and the data directory named through a link to the app.
    Files.createSymbolicLink(app.resolve("static/token-link"), data.resolve("admin-token"));
    Files.createSymbolicLink(app.resolve("state-link"), data);
    Path alias = Files.createSymbolicLink(dir.resolve("alias"), app);

    for (Path given : List.of(data, alias.resolve("node-state"))) {
      AppBundle bundle = AppBundle.fromDirectory(app, BundleLimits.defaults(), List.of(given));
      assertEquals(
          List.of("/spin.toml", "/static/ok.txt", "/web.wasm"),
          List.copyOf(new TreeMap<>(bundle.components().get("web").files()).keySet()),
          "data dir given as " + given);
    }
    // An app kept inside the data directory is refused whole.
    Files.copy(app.resolve("spin.toml"), data.resolve("spin.toml"));
    BundleException inside =
        assertThrows(
            BundleException.class,
            () -> AppBundle.fromDirectory(data, BundleLimits.defaults(), List.of(alias)));
    assertTrue(inside.getMessage().contains("data directory"), inside.getMessage());
  }

  @Test
  void symbolicLinksShouldNotBeFollowed() throws IOException {
    Files.writeString(dir.resolve("secret.txt"), "secret");
    Path app = Files.createDirectories(dir.resolve("app"));
    Fixtures.writeApp(
        app,
        Map.of(
            "spin.toml",
            Fixtures.manifest("app", "/", "files = [\"static/**\"]"),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "static/ok.txt",
            "ok"));
    Files.createSymbolicLink(app.resolve("static/link.txt"), dir.resolve("secret.txt"));

    AppBundle bundle;
    try {
      bundle = AppBundle.fromDirectory(app);
    } catch (BundleException e) {
      throw new AssertionError(e);
    }

    assertEquals(Map.of("/static/ok.txt", "ok"), asText(bundle.components().get("web").files()));
  }

  @Test
  void zipOfDirectoryShouldRoundTrip() throws Exception {
    Fixtures.writeApp(
        dir,
        Map.of(
            "spin.toml",
            Fixtures.manifest("app", "/...", "files = [\"static/*\"]"),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "static/a.txt",
            "a",
            "build/ignored.o",
            "not used by the app"));

    byte[] zip = AppBundle.zipDirectory(dir);
    AppBundle bundle = AppBundle.fromZip(zip);

    assertEquals("app", bundle.name());
    assertEquals(Map.of("/static/a.txt", "a"), asText(bundle.components().get("web").files()));
    assertEquals(List.of("static/a.txt", "web.wasm"), List.copyOf(bundle.files().keySet()));
  }

  @Test
  void zipDirectoryShouldBeDeterministic() throws Exception {
    Fixtures.writeApp(
        dir,
        Map.of(
            "spin.toml",
            Fixtures.manifest("app", "/...", "files = [\"static/*\"]"),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "static/b.txt",
            "b",
            "static/a.txt",
            "a"));
    byte[] first = AppBundle.zipDirectory(dir);

    Files.setLastModifiedTime(
        dir.resolve("static/a.txt"), java.nio.file.attribute.FileTime.fromMillis(0));
    byte[] second = AppBundle.zipDirectory(dir);

    assertArrayEquals(first, second);
  }

  @Test
  void zipWithTheAppInOneFolderShouldBeAccepted() throws Exception {
    byte[] zip =
        zip(
            Map.of(
                "my-app/spin.toml",
                utf8(Fixtures.manifest("app", "/", "")),
                "my-app/web.wasm",
                Fixtures.EMPTY_MODULE));

    assertEquals("app", AppBundle.fromZip(zip).name());
  }

  @Test
  void zipSlipEntriesShouldBeRejected() throws IOException {
    for (String evil :
        List.of("../evil.txt", "/etc/passwd", "a/../../evil.txt", "C:/win.ini", "a\\..\\b")) {
      byte[] zip =
          zip(
              new TreeMap<>(
                  Map.of(
                      "spin.toml",
                      utf8(Fixtures.manifest("app", "/", "")),
                      "web.wasm",
                      Fixtures.EMPTY_MODULE,
                      evil,
                      utf8("x"))));

      BundleException e = assertThrows(BundleException.class, () -> AppBundle.fromZip(zip));

      assertEquals(
          List.of("zip entry '" + evil + "' points outside the app (absolute path or '..')"),
          e.errors(),
          evil);
    }
  }

  @Test
  void zipWithTooManyEntriesShouldBeRejected() throws IOException {
    Map<String, byte[]> entries = new TreeMap<>();
    entries.put("spin.toml", utf8(Fixtures.manifest("app", "/", "")));
    entries.put("web.wasm", Fixtures.EMPTY_MODULE);
    for (int i = 0; i < 10; i++) {
      entries.put("junk/" + i, new byte[0]);
    }
    byte[] zip = zip(entries);

    BundleException e =
        assertThrows(
            BundleException.class,
            () -> AppBundle.fromZip(zip, BundleLimits.defaults().withMaxEntries(5)));

    assertEquals(List.of("zip has more than 5 entries (limit maxEntries)"), e.errors());
  }

  @Test
  void zipBombShouldStopAtTheUncompressedLimit() throws IOException {
    // 64 MiB of zeros compresses to about 64 KiB: it must be refused after 1 MiB is inflated.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      out.putNextEntry(new ZipEntry("spin.toml"));
      out.write(utf8(Fixtures.manifest("app", "/", "")));
      out.putNextEntry(new ZipEntry("bomb.bin"));
      byte[] zeros = new byte[1024 * 1024];
      for (int i = 0; i < 64; i++) {
        out.write(zeros);
      }
      out.closeEntry();
    }
    BundleLimits limits = BundleLimits.defaults().withMaxTotalBytes(1024 * 1024);

    BundleException e =
        assertThrows(BundleException.class, () -> AppBundle.fromZip(bytes.toByteArray(), limits));

    assertEquals(
        List.of("zip expands to more than 1048576 bytes in all (limit maxTotalBytes)"), e.errors());
  }

  @Test
  void oversizedFileShouldBeRejected() throws IOException {
    byte[] zip =
        zip(
            Map.of(
                "spin.toml", utf8(Fixtures.manifest("app", "/", "")), "web.wasm", new byte[2048]));

    BundleException e =
        assertThrows(
            BundleException.class,
            () -> AppBundle.fromZip(zip, BundleLimits.defaults().withMaxFileBytes(1024)));

    assertEquals(
        List.of("zip entry 'web.wasm' is larger than 1024 bytes (limit maxFileBytes)"), e.errors());
  }

  @Test
  void directoryShouldRespectTheLimitsToo() {
    Fixtures.writeApp(
        dir,
        Map.of(
            "spin.toml",
            Fixtures.manifest("app", "/", "files = [\"data/*\"]"),
            "web.wasm",
            Fixtures.EMPTY_MODULE,
            "data/a",
            "aaaa",
            "data/b",
            "bbbb"));

    BundleException e =
        assertThrows(
            BundleException.class,
            () -> AppBundle.fromDirectory(dir, BundleLimits.defaults().withMaxEntries(2)));

    assertEquals(List.of("the app uses more than 2 files (limit maxEntries)"), e.errors());
  }

  @Test
  void notAZipShouldBeRejected() {
    BundleException e = assertThrows(BundleException.class, () -> AppBundle.fromZip(utf8("hello")));

    assertEquals(List.of("not a zip, or an empty one: it has no entries"), e.errors());
  }

  @Test
  void limitsShouldRefuseNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new BundleLimits(0, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new BundleLimits(1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new BundleLimits(1, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new BundleLimits(1, 1, Integer.MAX_VALUE));
  }
}
