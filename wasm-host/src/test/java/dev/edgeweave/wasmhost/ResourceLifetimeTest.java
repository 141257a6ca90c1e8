package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * What a node keeps of the functions it prepared: dropped functions leave nothing behind but the
 * bounded compile cache, and functions nobody calls give their pooled memories back.
 */
class ResourceLifetimeTest {
  private static final long MIB = 1024 * 1024;

  /** Generous: the leaks these tests look for are hundreds of mebibytes. */
  private static final long NEAR_BASELINE = 64 * MIB;

  /** 256 pages (16 MiB) of memory, 30 bytes of data: answers "ok". */
  private static final String SIXTEEN_MIB_GUEST =
      """
      (module
        (import "wasi_snapshot_preview1" "fd_write"
          (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (memory 256)
        (data (i32.const 1024) "Content-Type: text/plain\\n\\nok")
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 1024))
          (i32.store (i32.const 4) (i32.const 28))
          (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
      """;

  /** The module with a custom section appended: a distinct module (digest) that runs the same. */
  static byte[] distinct(byte[] wasm, int n, int padding) {
    byte[] name = ("edgeweave-test-" + n).getBytes(UTF_8);
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    leb128(payload, name.length);
    payload.writeBytes(name);
    payload.writeBytes(new byte[padding]);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(wasm);
    out.write(0); // custom section
    leb128(out, payload.size());
    out.writeBytes(payload.toByteArray());
    return out.toByteArray();
  }

  private static void leb128(ByteArrayOutputStream out, int value) {
    int v = value;
    do {
      int b = v & 0x7F;
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
  }

  /** Heap in use once the collector has run. */
  private static long heapAfterGc() {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static GuestFunction prepareAndInvoke(WasmEngine engine, byte[] wasm, String id)
      throws Exception {
    GuestFunction fn = engine.prepare(wasm, ComponentSpec.builder(id).build());
    assertEquals("ok", new String(fn.invoke(GuestRequest.builder().build()).body(), UTF_8));
    return fn;
  }

  /** Waits (a bounded while) for {@code value} to reach 0; not a timing assertion. */
  private static void awaitZero(LongSupplier value, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (value.getAsLong() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, value.getAsLong(), what);
  }

  @Test
  void functionsPreparedInvokedAndDroppedLeaveTheHeapNearItsBaseline() throws Exception {
    byte[] guest = TestGuests.watText("sixteen-mib", SIXTEEN_MIB_GUEST);
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      prepareAndInvoke(engine, distinct(guest, -1, 0), "warm-up");
      long baseline = heapAfterGc();

      for (int i = 0; i < 30; i++) {
        prepareAndInvoke(engine, distinct(guest, i, 0), "release-" + i);
      }
      long after = heapAfterGc();

      assertTrue(
          after - baseline < NEAR_BASELINE,
          "heap grew by " + (after - baseline) / MIB + " MiB over 30 dropped functions");
    }
  }

  @Test
  void aFunctionNobodyCallsAnyMoreGivesItsPooledMemoryBack() throws Exception {
    byte[] guest = TestGuests.watText("sixteen-mib", SIXTEEN_MIB_GUEST);
    EngineConfig config = EngineConfig.defaults().withMemoryPoolIdleTimeout(Duration.ofMillis(50));
    try (WasmEngine engine = WasmEngine.create(config)) {
      long baseline = heapAfterGc();
      List<GuestFunction> deployed = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        deployed.add(prepareAndInvoke(engine, distinct(guest, i, 0), "idle-" + i));
      }
      awaitZero(engine::pooledMemoryBytes, "bytes still pooled");
      long after = heapAfterGc();

      assertTrue(
          after - baseline < NEAR_BASELINE,
          "heap grew by " + (after - baseline) / MIB + " MiB with 8 idle functions");
      // Still deployed, and still serving.
      prepareAndInvoke(engine, distinct(guest, 0, 0), "idle-0");
      Reference.reachabilityFence(deployed);
    }
  }

  @Test
  void pooledMemoriesOfAllFunctionsTogetherStayWithinTheNodeWideBound() throws Exception {
    byte[] guest = TestGuests.watText("sixteen-mib", SIXTEEN_MIB_GUEST);
    long bound = 40 * MIB;
    try (WasmEngine engine =
        WasmEngine.create(EngineConfig.defaults().withMemoryPoolMaxBytes(bound))) {
      List<GuestFunction> deployed = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        deployed.add(prepareAndInvoke(engine, distinct(guest, i, 0), "bounded-" + i));
      }

      long pooled = engine.pooledMemoryBytes();
      assertTrue(pooled > 0 && pooled <= bound, pooled + " bytes pooled, bound " + bound);
      Reference.reachabilityFence(deployed);
    }
  }

  @Test
  void aModuleStillInUseIsSharedAfterTheCacheEvictedIt() throws Exception {
    byte[] guest = TestGuests.watText("sixteen-mib", SIXTEEN_MIB_GUEST);
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults().withCompileCacheSize(1))) {
      GuestFunction a = prepareAndInvoke(engine, distinct(guest, 1, 0), "a");
      prepareAndInvoke(engine, distinct(guest, 2, 0), "b");

      prepareAndInvoke(engine, distinct(guest, 1, 0), "a-again");

      assertEquals(2, engine.compilations());
      Reference.reachabilityFence(a);
    }
  }

  @Test
  void theCompileCacheHoldsNoMoreThanItsByteBound() throws Exception {
    byte[] guest = TestGuests.watText("sixteen-mib", SIXTEEN_MIB_GUEST);
    long bound = 8 * MIB;
    try (WasmEngine engine =
        WasmEngine.create(EngineConfig.defaults().withCompileCacheMaxBytes(bound))) {
      prepareAndInvoke(engine, distinct(guest, -1, 0), "warm-up");
      long baseline = heapAfterGc();

      for (int i = 0; i < 20; i++) {
        prepareAndInvoke(engine, distinct(guest, i, (int) (2 * MIB)), "padded-" + i);
      }
      long after = heapAfterGc();

      assertTrue(engine.cachedModuleBytes() <= bound, engine.cachedModuleBytes() + " cached");
      assertTrue(
          after - baseline < NEAR_BASELINE,
          "heap grew by " + (after - baseline) / MIB + " MiB over 20 modules of 2 MiB");
    }
  }
}
