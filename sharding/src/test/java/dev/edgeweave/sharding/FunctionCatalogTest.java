package dev.edgeweave.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.BundleException;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.wasmhost.EngineConfig;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.InvalidModuleException;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The function side of the catalog with the real repository and engine: compiling before a deploy,
 * prepared functions of releases replaced, drained and removed, their bound. The lifecycle alone
 * (drains, serialized deploys, name clashes, garbage) is {@code deploy}'s {@code ReleasesTest}.
 */
class FunctionCatalogTest {

  private static final Config CONFIG = ConfigFactory.load();

  @TempDir Path dir;
  private WasmEngine engine;
  private FunctionCatalog catalog;

  @BeforeEach
  void start() throws IOException {
    engine = WasmEngine.create(EngineConfig.defaults());
    catalog =
        new FunctionCatalog(
            AppRepository.open(dir.resolve("store")), engine, FunctionSettings.fromConfig(CONFIG));
  }

  @AfterEach
  void stop() {
    catalog.close();
    engine.close();
  }

  private static byte[] zip(Map<String, byte[]> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
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

  /** App {@code name} whose module carries {@code tag}, so every version has its own digest. */
  private static AppBundle version(String name, String tag) throws BundleException {
    byte[] module = TaggedModules.tagged(TestGuests.c("hello"), tag, 16);
    return AppBundle.fromZip(
        zip(
            Map.of(
                "spin.toml",
                TestApps.app(name)
                    .wagi("/...", "hello", module)
                    .manifest()
                    .getBytes(StandardCharsets.UTF_8),
                "hello.wasm",
                module)));
  }

  /** Fragments of a component's table that the bundle reader or the engine must refuse. */
  private static final List<String> COMPONENT_LINES =
      List.of(
          "environment = { \"A=B\" = \"x\" }",
          "environment = { \"\" = \"x\" }",
          "environment = { \"NUL\\u0000\" = \"x\" }",
          "environment = { OK = \"=\\u0000\" }",
          "files = [\"**/*\"]",
          "files = [\"*\", { source = \"d\", destination = \"/hello.wasm\" }]",
          "files = [{ source = \"d\", destination = \"/\" }, { source = \"d\", destination = \"/x\" }]",
          "files = [\"d/x\", { source = \"d\", destination = \"/d/x\" }]",
          "files = [{ source = \".\", destination = \"/\" }]",
          "files = [{ source = \"d\", destination = \"/a/../..\" }]",
          "files = [{ source = \"d\", destination = \"//x\" }]",
          "exclude_files = [\"[\"]");

  @Test
  void aDeployInputShouldBeDeployedOrRefusedWithTheReasonNeverFailOtherwise() throws Exception {
    Random random = new Random(7);
    byte[] hello = TestGuests.c("hello");
    byte[] counter = TestGuests.wat("counter");
    for (int round = 0; round < 300; round++) {
      // Module bytes are the engine's to check (its own tests); here the manifest varies.
      byte[] module = random.nextBoolean() ? hello : counter;
      List<String> lines = new ArrayList<>();
      int count = random.nextInt(3);
      for (int i = 0; i < count; i++) {
        lines.add(COMPONENT_LINES.get(random.nextInt(COMPONENT_LINES.size())));
      }
      String manifest =
          TestApps.app("fuzz-" + round)
              .wagi("/...", "hello", module, lines.toArray(String[]::new))
              .manifest();
      Map<String, byte[]> entries = new LinkedHashMap<>();
      entries.put("spin.toml", manifest.getBytes(StandardCharsets.UTF_8));
      entries.put("hello.wasm", module);
      entries.put("d/x", new byte[] {1});
      entries.put("d/y/z", new byte[] {2});
      try {
        catalog.deploy(AppBundle.fromZip(zip(entries)));
      } catch (BundleException | FunctionCatalog.DeployException refused) {
        assertTrue(!refused.getMessage().isBlank());
      } catch (Throwable other) {
        fail("round " + round + ": " + other + "\n" + manifest, other);
      }
    }
  }

  @Test
  void aRemovedAppShouldTakeItsPreparedFunctionsWithIt() throws Exception {
    // Replaced releases drain longer than the test runs.
    try (FunctionCatalog slow =
        new FunctionCatalog(
            AppRepository.open(dir.resolve("slow")),
            engine,
            FunctionSettings.fromConfig(CONFIG),
            CatalogSettings.defaults().withDrainGrace(Duration.ofHours(1)))) {
      DeployedApp first = slow.deploy(version("gone", "first"));
      DeployedApp second = slow.deploy(version("gone", "second"));
      DeployedApp other = slow.deploy(version("stays", "x"));
      assertEquals(List.of(first), slow.draining());
      assertEquals(3, slow.preparedFunctions());

      assertTrue(slow.remove("gone"));

      assertEquals(1, slow.preparedFunctions());
      for (DeployedApp release : List.of(first, second)) {
        assertThrows(
            FunctionCatalog.UnknownFunctionException.class,
            () -> slow.function("gone", release.digest(), 0));
      }
      slow.function("stays", other.digest(), 0);
      assertEquals(1, slow.preparedFunctions());
    }
  }

  @Test
  void aModuleTheEngineRefusesShouldRefuseTheDeployNamingTheComponentWithTheEnginesReason()
      throws Exception {
    DeployedApp live = catalog.deploy(version("broken", "good"));
    byte[] broken = "\0asm\u0001\0\0\0garbage".getBytes(StandardCharsets.ISO_8859_1);
    AppBundle bundle =
        AppBundle.fromZip(
            zip(
                Map.of(
                    "spin.toml",
                    TestApps.app("broken")
                        .wagi("/...", "hello", broken)
                        .manifest()
                        .getBytes(StandardCharsets.UTF_8),
                    "hello.wasm",
                    broken)));

    FunctionCatalog.DeployException refused =
        assertThrows(FunctionCatalog.DeployException.class, () -> catalog.deploy(bundle));

    assertTrue(refused.getMessage().startsWith("component 'hello': "), refused.getMessage());
    assertTrue(refused.getCause() instanceof InvalidModuleException, String.valueOf(refused));
    assertEquals(live, catalog.app("broken").orElseThrow());
    assertEquals(List.of(), catalog.draining());
  }

  @Test
  void aReplacedReleaseShouldBeDroppedOnceNoRequestCanStillReachIt() throws Exception {
    Config quick =
        ConfigFactory.parseString(
                "edgeweave.limits.wall-time = 200ms, edgeweave.function.ask-timeout-margin = 100ms")
            .withFallback(CONFIG);
    try (FunctionCatalog quickCatalog =
        new FunctionCatalog(
            AppRepository.open(dir.resolve("quick")),
            engine,
            FunctionSettings.fromConfig(quick),
            CatalogSettings.defaults().withDrainGrace(Duration.ofMillis(100)))) {
      DeployedApp first = quickCatalog.deploy(version("drain", "first"));
      DeployedApp second = quickCatalog.deploy(version("drain", "second"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!quickCatalog.draining().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(List.of(), quickCatalog.draining());
      assertThrows(
          FunctionCatalog.UnknownFunctionException.class,
          () -> quickCatalog.function("drain", first.digest(), 0));
      assertEquals(1, quickCatalog.preparedFunctions());
      quickCatalog.function("drain", second.digest(), 0);
    }
  }

  @Test
  void preparedFunctionsShouldBeBoundedAndPreparedAgainWhenCalled() throws Exception {
    try (FunctionCatalog small =
        new FunctionCatalog(
            AppRepository.open(dir.resolve("small")),
            engine,
            FunctionSettings.fromConfig(CONFIG),
            CatalogSettings.defaults().withMaxPreparedFunctions(2))) {
      List<DeployedApp> apps = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        apps.add(small.deploy(version("bounded-" + i, "v" + i)));
        assertTrue(small.preparedFunctions() <= 2, "after deploy " + i);
      }
      for (DeployedApp app : apps) {
        GuestFunction function = small.function(app.name(), app.digest(), 0);
        assertEquals(app.components().get("hello").moduleDigest(), function.moduleDigest());
        assertTrue(small.preparedFunctions() <= 2);
      }
      // The most recently called stays prepared: calling it again gives the same function.
      DeployedApp last = apps.get(apps.size() - 1);
      assertSame(
          small.function(last.name(), last.digest(), 0),
          small.function(last.name(), last.digest(), 0));
    }
  }
}
