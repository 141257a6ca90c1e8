package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A component with transient writes sees its files writable; what it writes lives in its
 * invocation's overlay, within its budget, and is gone when the invocation ends.
 */
class TransientWritesTest {
  private static final int EPERM = 63;
  private static final int ENOSPC = 51;

  private static WasmEngine engine;
  private static final byte[] HELLO = "hello, files".getBytes(UTF_8);

  @BeforeAll
  static void startEngine() {
    engine = WasmEngine.create(EngineConfig.defaults());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static GuestFunction component(boolean transientWrites, Limits limits) throws Exception {
    return engine.prepare(
        TestGuests.c("transient"),
        ComponentSpec.builder("transient")
            .withFile("/static/hello.txt", HELLO)
            .withTransientWrites(transientWrites)
            .withLimits(limits)
            .build());
  }

  private static Map<String, String> run(GuestFunction fn, String op) throws GuestException {
    String body = new String(fn.invoke(GuestRequest.builder().query(op).build()).body(), UTF_8);
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : body.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return values;
  }

  @Test
  void theGuestSeesItsOwnWritesWithinTheInvocation() throws Exception {
    Map<String, String> r = run(component(true, Limits.defaults()), "write");

    assertEquals("hello, files and more", r.get("hello"));
    assertEquals("brand new", r.get("new"));
    assertEquals("0", r.get("mkdir"));
    assertEquals("1", r.get("dir"));
  }

  @Test
  void theNextInvocationSeesTheFilesAsDeployed() throws Exception {
    GuestFunction fn = component(true, Limits.defaults());
    run(fn, "write");

    Map<String, String> r = run(fn, "read");

    assertEquals("hello, files", r.get("hello"));
    assertEquals("44", r.get("new.errno"));
    assertEquals("0", r.get("dir"));
  }

  @Test
  void writesNeverReachTheStoredFiles() throws Exception {
    GuestFunction fn = component(true, Limits.defaults());

    run(fn, "write");

    assertArrayEquals("hello, files".getBytes(UTF_8), HELLO);
    assertArrayEquals(HELLO, ((WagiFunction) fn).spec().files().get("/static/hello.txt"));
  }

  @Test
  void writesStopAtTheBudgetWithNoSpaceLeft() throws Exception {
    GuestFunction fn = component(true, Limits.defaults().withMaxTransientWriteBytes(1024 * 1024));

    Map<String, String> r = run(fn, "fill");

    long filled = Long.parseLong(r.get("filled"));
    assertTrue(filled > 0 && filled <= 1024 * 1024, "filled " + filled);
    assertEquals(String.valueOf(ENOSPC), r.get("fill.errno"));
    assertEquals("hello, files", run(fn, "read").get("hello"));
  }

  @Test
  void anUnlinkedFileStillOpenCountsAgainstTheBudget() throws Exception {
    GuestFunction fn = component(true, Limits.defaults().withMaxTransientWriteBytes(1024 * 1024));

    Map<String, String> r = run(fn, "unlinked");

    assertTrue(Long.parseLong(r.get("filled")) <= 1024 * 1024, r.toString());
    assertEquals(String.valueOf(ENOSPC), r.get("fill.errno"));
  }

  @Test
  void filesCreatedAndRemovedGiveTheirBytesBack() throws Exception {
    GuestFunction fn = component(true, Limits.defaults().withMaxTransientWriteBytes(1024 * 1024));

    assertEquals("100", run(fn, "churn").get("churned"));
  }

  @Test
  void withoutTransientWritesEveryChangeIsRefusedAsOnAReadOnlyPreopen() throws Exception {
    Map<String, String> r = run(component(false, Limits.defaults()), "write");

    assertEquals(String.valueOf(EPERM), r.get("append.errno"));
    assertEquals(String.valueOf(EPERM), r.get("create.errno"));
    assertEquals(String.valueOf(EPERM), r.get("mkdir"));
    assertEquals("hello, files", r.get("hello"));
  }
}
