package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real C library as a WAGI app: SQLite (the amalgamation, built for wasm32-wasi in the test run)
 * reading a database from a component's files, read-only and with transient writes.
 */
class SqliteTest {
  private static final int ROWS = 50;

  private static WasmEngine engine;
  private static byte[] app;
  private static byte[] database;

  @BeforeAll
  static void buildTheDatabase() throws Exception {
    engine = WasmEngine.create(EngineConfig.defaults());
    app = SqliteGuest.wagiApp();
    // The same module writes the database in its transient overlay and answers with its bytes.
    GuestFunction builder =
        engine.prepare(
            app, ComponentSpec.builder("sqlite-build").withTransientWrites(true).build());
    database = builder.invoke(request("op=build&n=" + ROWS)).body();
    assertTrue(
        new String(database, 0, Math.min(16, database.length), UTF_8).startsWith("SQLite format 3"),
        "not a database: " + new String(database, UTF_8));
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static GuestRequest request(String query) {
    return GuestRequest.builder().path("/db").query(query).build();
  }

  private static GuestFunction component(boolean transientWrites) throws Exception {
    return engine.prepare(
        app,
        ComponentSpec.builder(transientWrites ? "sqlite-rw" : "sqlite-ro")
            .withFile("/data/app.db", database)
            .withTransientWrites(transientWrites)
            .build());
  }

  private static String run(GuestFunction fn, String query) throws GuestException {
    return new String(fn.invoke(request(query)).body(), UTF_8);
  }

  private static String expectedRows() {
    return IntStream.rangeClosed(1, ROWS)
        .mapToObj(i -> i + "|item-" + i)
        .collect(Collectors.joining("\n", "", "\n"));
  }

  @Test
  void aQueryOnAReadOnlyMountReturnsTheRows() throws Exception {
    assertEquals(expectedRows(), run(component(false), "op=select"));
  }

  @Test
  void aWriteOnAReadOnlyMountIsRefusedAsReadOnly() throws Exception {
    GuestFunction fn = component(false);

    assertEquals("error: attempt to write a readonly database\n", run(fn, "op=insert"));
    assertEquals(ROWS + "\n", run(fn, "op=count"));
  }

  @Test
  void aLockingReadOnlyOpenOnAReadOnlyMountIsRefusedPermissionAsOnTheReferenceHosts()
      throws Exception {
    // SQLite's wasi VFS locks by creating the directory app.db.lock; wasmtime and Spin refuse that
    // on a read-only preopen with EPERM, which SQLite reports as a permission error (EROFS made it
    // "disk I/O error").
    assertEquals(
        "error: access permission denied\n", run(component(false), "op=count&mode=locked"));
  }

  @Test
  void aHundredThousandRowRecursiveQueryCompletesWithinTheDefaultWallTime() throws Exception {
    assertEquals("100000|5000050000\n", run(component(false), "op=recursive"));
  }

  @Test
  void withTransientWritesSqliteTakesItsLocksAndReads() throws Exception {
    assertEquals(expectedRows(), run(component(true), "op=select&mode=locked"));
  }

  @Test
  void withTransientWritesAWriteSucceedsWithinTheRequestAndIsGoneInTheNext() throws Exception {
    GuestFunction fn = component(true);

    assertEquals((ROWS + 1) + "\n", run(fn, "op=insert&mode=rw"));
    assertEquals(ROWS + "\n", run(fn, "op=count&mode=rw"));
    assertEquals((ROWS + 1) + "\n", run(fn, "op=insert&mode=rw"));
  }

  @Test
  void transientWritesNeverReachTheStoredFiles() throws Exception {
    byte[] before = Arrays.copyOf(database, database.length);
    GuestFunction fn = component(true);

    run(fn, "op=insert&mode=rw");

    assertArrayEquals(before, database);
    assertEquals(expectedRows(), run(component(false), "op=select"));
  }
}
