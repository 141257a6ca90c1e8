package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a module declares is checked against the component's limits before the host allocates any of
 * it: initial memory, tables, and tables grown at run time.
 */
class PrepareLimitsTest {
  private static final long MIB = 1024 * 1024;

  /** Far below what the refused declarations would cost (gigabytes, or tens of megabytes). */
  private static final long PREPARE_ALLOCATION_BOUND = 16 * MIB;

  /** A table that grows by the size given to its entrypoint, and answers how that went. */
  private static final String GROWING_TABLE =
      """
      (module
        (import "wasi_snapshot_preview1" "fd_write"
          (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (memory 1)
        (table $t 1 funcref)
        (data (i32.const 64) "Content-Type: text/plain\\n\\n")
        (data (i32.const 128) "grown")
        (data (i32.const 160) "refused")
        (func $write (param $at i32) (param $len i32)
          (i32.store (i32.const 0) (local.get $at))
          (i32.store (i32.const 4) (local.get $len))
          (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
        (func $grow (param $by i32)
          (call $write (i32.const 64) (i32.const 26))
          (if (i32.eq (table.grow $t (ref.null func) (local.get $by)) (i32.const -1))
            (then (call $write (i32.const 160) (i32.const 7)))
            (else (call $write (i32.const 128) (i32.const 5)))))
        (func (export "_start") (call $grow (i32.const 1000000)))
        (func (export "small") (call $grow (i32.const 1000))))
      """;

  private static WasmEngine engine;

  @BeforeAll
  static void startEngine() throws Exception {
    engine = WasmEngine.create(EngineConfig.defaults());
    // Loads the parser, compiler and engine classes before anything is measured.
    engine.prepare(TestGuests.wat("counter"), ComponentSpec.builder("warm").build());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static InvalidModuleException refusedCheaply(String name, String wat) {
    byte[] wasm = TestGuests.watText(name, wat);
    long before = ThreadAllocation.current();
    InvalidModuleException e =
        assertThrows(
            InvalidModuleException.class,
            () -> engine.prepare(wasm, ComponentSpec.builder(name).build()));
    long allocated = ThreadAllocation.current() - before;
    assertTrue(
        allocated < PREPARE_ALLOCATION_BOUND,
        "preparing " + name + " allocated " + allocated + " bytes before refusing it");
    return e;
  }

  @Test
  void aModuleDeclaringAHugeInitialMemoryIsRefusedBeforeItsMemoryIsAllocated() {
    InvalidModuleException e =
        refusedCheaply("huge-memory", "(module (memory 30000) (func (export \"_start\")))");

    assertTrue(
        e.getMessage()
            .contains(
                "component 'huge-memory': module needs 30000 initial memory pages, more than its"
                    + " limit of "
                    + Limits.DEFAULT_MAX_MEMORY_PAGES),
        e.getMessage());
  }

  @Test
  void aModuleDeclaringAHugeTableIsRefusedBeforeItsTableIsAllocated() {
    InvalidModuleException e =
        refusedCheaply("huge-table", "(module (table 5000000 funcref) (func (export \"_start\")))");

    assertTrue(e.getMessage().contains("component 'huge-table'"), e.getMessage());
    assertTrue(e.getMessage().contains("5000000 table elements"), e.getMessage());
  }

  @Test
  void tablesTogetherCountAgainstTheLimit() {
    InvalidModuleException e =
        refusedCheaply(
            "many-tables",
            "(module (table 60000 funcref) (table 60000 funcref) (func (export \"_start\")))");

    assertTrue(e.getMessage().contains("120000 table elements"), e.getMessage());
  }

  @Test
  void aTableCannotGrowPastTheLimitAtRunTime() throws Exception {
    byte[] wasm = TestGuests.watText("growing-table", GROWING_TABLE);
    GuestFunction pastTheLimit = engine.prepare(wasm, ComponentSpec.builder("grow").build());
    GuestFunction withinTheLimit =
        engine.prepare(wasm, ComponentSpec.builder("grow").withEntrypoint("small").build());

    assertEquals("refused", body(pastTheLimit));
    assertEquals("grown", body(withinTheLimit));
  }

  private static String body(GuestFunction fn) throws GuestException {
    return new String(fn.invoke(GuestRequest.builder().build()).body(), UTF_8);
  }
}
