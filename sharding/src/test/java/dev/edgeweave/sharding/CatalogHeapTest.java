package dev.edgeweave.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.GuestResponse;
import dev.edgeweave.wasmhost.RouteInfo;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deploys, redeploys and removes apps many times through the real catalog, repository and engine,
 * with distinct modules (compiled anew) and distinct files: the heap must come back to what it was,
 * whatever the number of apps deployed and not called, no replaced or removed release may stay
 * reachable, and the blob store keeps only what deployed apps need.
 */
class CatalogHeapTest {

  private static final int FILE_BYTES = 1 << 20;
  private static final int CYCLES = 200;

  /** Room for what a deployed app keeps on the heap (manifest, routes, digests), and noise. */
  private static final long MARGIN_BYTES = 32L << 20;

  private static final Config CONFIG =
      ConfigFactory.parseString(
              """
              edgeweave.limits.wall-time = 200ms
              edgeweave.function.ask-timeout-margin = 100ms
              edgeweave.engine.compile-cache-size = 8
              edgeweave.catalog { drain-grace = 100ms, max-prepared-functions = 8 }
              """)
          .withFallback(ConfigFactory.load());

  @TempDir Path dir;

  private static final GuestRequest REQUEST =
      new GuestRequest(
          "GET",
          "http://heap.localhost/",
          "/",
          "",
          List.of(),
          new byte[0],
          "127.0.0.1",
          "heap.localhost",
          80,
          new RouteInfo("/...", "", "/...", "/", "/", "/", Map.of()));

  /** Version {@code version} of app {@code name}: its own module and its own megabyte file. */
  private static AppBundle version(Path dir, String name, int version) throws Exception {
    byte[] module = TaggedModules.tagged(TestGuests.wat("counter"), name + "-v" + version, 4096);
    byte[] data = new byte[FILE_BYTES];
    new Random((name + version).hashCode()).nextBytes(data);
    Path app =
        TestApps.app(name)
            .wagi("/...", "counter", module, "files = [\"data.bin\"]")
            .file("data.bin", data)
            .writeTo(dir.resolve("v" + version));
    return AppBundle.fromDirectory(app);
  }

  private static GuestFunction call(FunctionCatalog catalog, DeployedApp app) throws Exception {
    GuestFunction function = catalog.function(app.name(), app.digest(), 0);
    GuestResponse response = function.invoke(REQUEST);
    assertEquals(200, response.status());
    assertEquals("fresh", new String(response.body(), StandardCharsets.UTF_8));
    return function;
  }

  /** The first release of each app still deployed: the store keeps it for a rollback. */
  private final Map<String, DeployedApp> previous = new HashMap<>();

  /** One cycle: deploy, call, redeploy, call, and remove every other app. */
  private List<GuestFunction> cycle(FunctionCatalog catalog, String name, boolean remove)
      throws Exception {
    List<GuestFunction> called = new ArrayList<>();
    DeployedApp first = catalog.deploy(version(dir.resolve(name), name, 1));
    called.add(call(catalog, first));
    called.add(call(catalog, catalog.deploy(version(dir.resolve(name), name, 2))));
    if (remove) {
      catalog.remove(name);
    } else {
      previous.put(name, first);
    }
    return called;
  }

  private static void awaitDrained(FunctionCatalog catalog) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!catalog.draining().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(List.of(), catalog.draining());
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private Set<String> blobsOnDisk() throws java.io.IOException {
    try (Stream<Path> files = Files.list(dir.resolve("store").resolve(AppRepository.BLOBS_DIR))) {
      return files
          .map(f -> f.getFileName().toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  void manyDeploysRedeploysAndRemovesShouldGiveTheHeapBack() throws Exception {
    FunctionSettings settings = FunctionSettings.fromConfig(CONFIG);
    try (WasmEngine engine = WasmEngine.create(settings.engineConfig());
        FunctionCatalog catalog =
            new FunctionCatalog(
                AppRepository.open(dir.resolve("store"), settings.bundleLimits()),
                engine,
                settings,
                CatalogSettings.fromConfig(CONFIG))) {
      for (int i = 0; i < 20; i++) {
        cycle(catalog, "warm-" + i, true);
      }
      awaitDrained(catalog);
      long baseline = usedHeapAfterGc();

      List<WeakReference<GuestFunction>> early = new ArrayList<>();
      for (int i = 0; i < CYCLES; i++) {
        List<GuestFunction> called = cycle(catalog, "heap-" + i, i % 2 == 0);
        if (i < 20) {
          called.forEach(f -> early.add(new WeakReference<>(f)));
        }
      }
      awaitDrained(catalog);
      assertEquals(CYCLES / 2, catalog.apps().size());
      assertTrue(catalog.preparedFunctions() <= 8, "prepared: " + catalog.preparedFunctions());

      long used = usedHeapAfterGc();
      assertTrue(
          used - baseline < MARGIN_BYTES,
          "heap grew by "
              + ((used - baseline) >> 20)
              + " MiB over "
              + CYCLES
              + " cycles with "
              + catalog.apps().size()
              + " apps deployed (baseline "
              + (baseline >> 20)
              + " MiB)");
      // Replaced, removed, or not called lately: none of the first releases' functions remains.
      long reachable = early.stream().filter(r -> r.get() != null).count();
      assertEquals(0, reachable, reachable + " of " + early.size() + " functions still reachable");
      // On disk, only what the deployed apps and their previous releases need stays (the last
      // collection may still run).
      Set<String> needed = new TreeSet<>();
      catalog.apps().forEach(app -> needed.addAll(app.blobs()));
      catalog.apps().forEach(app -> needed.addAll(previous.get(app.name()).blobs()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!blobsOnDisk().equals(needed) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(needed, blobsOnDisk());
    }
  }
}
