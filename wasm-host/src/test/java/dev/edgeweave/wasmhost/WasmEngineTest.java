package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Preparing modules: validation, import and entrypoint checks, and the compile cache. */
class WasmEngineTest {
  private static ComponentSpec spec(String id) {
    return ComponentSpec.builder(id).build();
  }

  private static InvalidModuleException rejected(byte[] wasm) {
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      return assertThrows(InvalidModuleException.class, () -> engine.prepare(wasm, spec("bad")));
    }
  }

  @Test
  void bytesThatAreNotWasmAreRejectedAsInvalidWebAssembly() {
    InvalidModuleException e = rejected("definitely not wasm".getBytes(UTF_8));

    assertTrue(
        e.getMessage().startsWith("component 'bad': module is not valid WebAssembly:"),
        e.getMessage());
  }

  @Test
  void aTruncatedModuleIsRejectedAsInvalidWebAssembly() {
    byte[] hello = TestGuests.c("hello");

    InvalidModuleException e = rejected(Arrays.copyOf(hello, hello.length / 2));

    assertTrue(e.getMessage().contains("not valid WebAssembly"), e.getMessage());
  }

  @Test
  void aModuleImportingSomethingUnknownIsRejectedNamingTheImport() {
    InvalidModuleException e = rejected(TestGuests.wat("missing-import"));

    assertTrue(e.getMessage().contains("env.mystery"), e.getMessage());
    assertTrue(e.getMessage().contains("component 'bad'"), e.getMessage());
  }

  @Test
  void aWasiImportWithTheWrongTypeIsRejectedNamingTheImport() {
    InvalidModuleException e = rejected(TestGuests.wat("wrong-signature"));

    assertTrue(e.getMessage().contains("wasi_snapshot_preview1.fd_write"), e.getMessage());
  }

  @Test
  void aModuleWithoutTheEntrypointIsRejectedAtPrepare() {
    InvalidModuleException e = rejected(TestGuests.wat("no-start"));

    assertTrue(e.getMessage().contains("'_start'"), e.getMessage());
  }

  @Test
  void anotherEntrypointCanBeNamed() throws Exception {
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      GuestFunction f =
          engine.prepare(
              TestGuests.wat("no-start"),
              ComponentSpec.builder("main").withEntrypoint("main").build());

      GuestException e =
          assertThrows(GuestException.class, () -> f.invoke(GuestRequest.builder().build()));

      // It runs, writes nothing, and so is not a WAGI response.
      assertEquals(GuestException.Kind.BAD_RESPONSE, e.kind());
    }
  }

  @Test
  void aModuleNeedingMoreInitialMemoryThanTheLimitIsRejected() {
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      ComponentSpec tight =
          ComponentSpec.builder("tight")
              .withLimits(Limits.defaults().withMaxMemoryPages(1))
              .build();

      InvalidModuleException e =
          assertThrows(
              InvalidModuleException.class, () -> engine.prepare(TestGuests.c("hello"), tight));

      assertTrue(e.getMessage().contains("initial memory pages"), e.getMessage());
    }
  }

  @Test
  void componentsSharingAModuleShareOneCompilation() throws Exception {
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      GuestFunction a =
          engine.prepare(
              TestGuests.c("env"), ComponentSpec.builder("a").withEnv("WHO", "a").build());
      GuestFunction b =
          engine.prepare(
              TestGuests.c("env"), ComponentSpec.builder("b").withEnv("WHO", "b").build());

      assertEquals(1, engine.compilations());
      assertEquals(a.moduleDigest(), b.moduleDigest());
      assertNotSame(a, b);
      assertTrue(
          new String(a.invoke(GuestRequest.builder().build()).body(), UTF_8).contains("WHO=a\n"));
      assertTrue(
          new String(b.invoke(GuestRequest.builder().build()).body(), UTF_8).contains("WHO=b\n"));
    }
  }

  @Test
  void theLeastRecentlyUsedModuleIsEvictedFromAFullCacheAndCompiledAgainOnceUnused()
      throws Exception {
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults().withCompileCacheSize(1))) {
      engine.prepare(TestGuests.c("hello"), spec("hello"));
      engine.prepare(TestGuests.c("hello"), spec("hello"));
      engine.prepare(TestGuests.wat("trap"), spec("trap"));
      // No function uses hello's module any more: once collected, it is gone from the node.
      for (int i = 0; i < 4; i++) {
        System.gc();
      }
      engine.prepare(TestGuests.c("hello"), spec("hello"));

      assertEquals(3, engine.compilations());
    }
  }

  @Test
  void concurrentPreparesOfOneModuleCompileItOnce() throws Exception {
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      byte[] echo = TestGuests.c("echo");
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<GuestFunction>> prepared = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          String id = "echo-" + i;
          prepared.add(pool.submit(() -> engine.prepare(echo, spec(id))));
        }
        for (Future<GuestFunction> f : prepared) {
          assertEquals(
              200, f.get(2, TimeUnit.MINUTES).invoke(GuestRequest.builder().build()).status());
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(1, engine.compilations());
    }
  }

  @Test
  void theDigestIsTheSha256OfTheModuleBytes() throws Exception {
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      byte[] hello = TestGuests.c("hello");
      String expected =
          java.util.HexFormat.of()
              .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(hello));

      assertEquals(expected, engine.prepare(hello, spec("hello")).moduleDigest());
    }
  }

  @Test
  void aClosedEngineRefusesToPrepare() {
    WasmEngine engine = WasmEngine.create(EngineConfig.defaults());
    engine.close();

    assertThrows(
        IllegalStateException.class, () -> engine.prepare(TestGuests.c("hello"), spec("x")));
  }
}
