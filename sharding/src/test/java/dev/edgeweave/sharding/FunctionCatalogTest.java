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
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog with the real repository and engine: deploys, replacements, removals. */
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
  void concurrentDeploysOfOneAppShouldLeaveEveryReleaseLiveOrDraining() throws Exception {
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      catalog.deploy(version("race", "initial"));
      for (int round = 0; round < 5; round++) {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<DeployedApp>> deploys = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          AppBundle bundle = version("race", "round-" + round + "-" + t);
          deploys.add(
              pool.submit(
                  () -> {
                    start.await();
                    return catalog.deploy(bundle);
                  }));
        }
        for (Future<DeployedApp> deploy : deploys) {
          DeployedApp app = deploy.get();
          // A request the ingress routed to any of them just before the next swap still runs.
          catalog.function("race", app.digest(), 0);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentDeploysOfNamesDifferingOnlyInCaseShouldLeaveOneOfThem() throws Exception {
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 5; round++) {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<?>> deploys = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          AppBundle bundle = version(t % 2 == 0 ? "Case-Race" : "case-race", "r" + round + t);
          deploys.add(
              pool.submit(
                  () -> {
                    start.await();
                    try {
                      return catalog.deploy(bundle);
                    } catch (FunctionCatalog.DeployException refused) {
                      assertTrue(
                          refused.getMessage().contains("differs only in case"),
                          refused.getMessage());
                      return null;
                    }
                  }));
        }
        for (Future<?> deploy : deploys) {
          deploy.get();
        }
        List<String> names =
            catalog.apps().stream()
                .map(DeployedApp::name)
                .filter(n -> n.toLowerCase(Locale.ROOT).equals("case-race"))
                .toList();
        assertEquals(1, names.size(), "round " + round + ": " + names);
        catalog.remove(names.get(0));
      }
    } finally {
      pool.shutdownNow();
    }
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
