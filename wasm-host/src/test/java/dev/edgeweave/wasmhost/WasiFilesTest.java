package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A component's files, served read-only under the preopened "/" by the WASI layer. */
class WasiFilesTest {
  private static final int EPERM = 63;
  private static final int ENOENT = 44;
  private static final int ENOTCAPABLE = 76;

  private static WasmEngine engine;
  private static GuestFunction files;

  /** What the files guest printed: key=value lines and directory entries. */
  record Report(Map<String, String> values, List<String> entries) {
    int errno(String key) {
      String v = values.get(key + ".errno");
      if (v == null) {
        throw new AssertionError("no " + key + ".errno in " + values);
      }
      return Integer.parseInt(v);
    }
  }

  @BeforeAll
  static void prepare() throws Exception {
    engine = WasmEngine.create(EngineConfig.defaults());
    files =
        engine.prepare(
            TestGuests.c("files"),
            ComponentSpec.builder("files-component")
                .withFile("/static/hello.txt", "hello, files".getBytes(UTF_8))
                .withFile("/static/sub/deep.txt", "deep".getBytes(UTF_8))
                .withFile("/index.html", "<h1>home</h1>".getBytes(UTF_8))
                .build());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static Report run(String pathInfo, String listDir) throws GuestException {
    GuestRequest request =
        GuestRequest.builder()
            .path("/files" + pathInfo)
            .query(listDir)
            .route(
                new RouteInfo(
                    "/files/...", "/files", "/files/...", "/", pathInfo, pathInfo, Map.of()))
            .build();
    String text = new String(files.invoke(request).body(), UTF_8);
    Map<String, String> values = new LinkedHashMap<>();
    List<String> entries = new ArrayList<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (line.startsWith("entry=")) {
        entries.add(line.substring(eq + 1));
      } else if (eq > 0) {
        values.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return new Report(values, entries);
  }

  @Test
  void aFileIsReadFromThePreopenedRoot() throws Exception {
    Report r = run("/static/hello.txt", "");

    assertEquals("hello, files", r.values().get("read"));
  }

  @Test
  void seekingMovesTheReadPosition() throws Exception {
    assertEquals("llo, files", run("/static/hello.txt", "").values().get("seek"));
  }

  @Test
  void statGivesTheSizeAndTypeOfFilesAndDirectories() throws Exception {
    Report r = run("/static/hello.txt", "");

    assertEquals("12", r.values().get("stat.size"));
    assertEquals("1", r.values().get("stat.regular"));
    assertEquals("1", r.values().get("root.directory"));
  }

  @Test
  void aMissingFileIsNotFound() throws Exception {
    Report r = run("/static/nope.txt", "");

    assertEquals(ENOENT, r.errno("read"));
    assertEquals(ENOENT, r.errno("missing"));
  }

  @ParameterizedTest(
      name = "{0} fails with EPERM, as on a read-only preopen of the reference hosts")
  @ValueSource(
      strings = {"create", "openwrite", "append", "truncate", "mkdir", "unlink", "rmdir", "rename"})
  void everyWriteIsRefusedAsReadOnly(String operation) throws Exception {
    assertEquals(EPERM, run("/static/hello.txt", "").errno(operation));
  }

  @Test
  void climbingAboveTheRootIsNotCapable() throws Exception {
    Report r = run("/static/hello.txt", "");

    assertEquals(ENOTCAPABLE, r.errno("escape.raw"));
    assertEquals(ENOTCAPABLE, r.errno("escape.rawabsolute"));
    assertEquals(ENOTCAPABLE, r.errno("escape.rawnested"));
  }

  @Test
  void escapesThroughLibcAreNotCapableEither() throws Exception {
    Report r = run("/static/hello.txt", "");

    assertEquals(ENOTCAPABLE, r.errno("escape.relative"));
    assertEquals(ENOTCAPABLE, r.errno("escape.absolute"));
  }

  @Test
  void theRootListsItsEntriesSortedWithDotAndDotDot() throws Exception {
    assertEquals(List.of("./", "../", "index.html", "static/"), run("/index.html", "").entries());
  }

  @Test
  void aSubdirectoryListsItsOwnEntries() throws Exception {
    assertEquals(
        List.of("./", "../", "hello.txt", "sub/"), run("/index.html", "/static").entries());
  }

  @Test
  void withoutFilesTheRootIsAnEmptyDirectory() throws Exception {
    GuestFunction bare =
        engine.prepare(TestGuests.c("files"), ComponentSpec.builder("bare-component").build());
    GuestRequest request =
        GuestRequest.builder()
            .path("/x")
            .route(new RouteInfo("/...", "", "/...", "/", "/x", "/x", Map.of()))
            .build();

    String text = new String(bare.invoke(request).body(), UTF_8);

    assertTrue(text.contains("read.errno=" + ENOENT), text);
    assertTrue(text.contains("entry=./\nentry=../\n"), text);
    assertTrue(text.contains("create.errno=" + EPERM), text);
  }
}
