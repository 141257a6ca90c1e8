package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.deploy.internal.Digests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The app lifecycle on a real repository: deploys, swaps, drains, removals, garbage. */
class ReleasesTest {

  /** Releases of apps named {@code quick...} drain at once; the others outlive every test. */
  private static Duration drainTime(String app) {
    return app.startsWith("quick") ? Duration.ZERO : Duration.ofHours(1);
  }

  @TempDir Path data;
  @TempDir Path apps;
  private Releases releases;
  private final Hook hook = new Hook();

  /** Records what the lifecycle tells the running side; refuses bundles tagged "refuse". */
  private static final class Hook implements ReleaseHook {
    final List<String> checked = new CopyOnWriteArrayList<>();
    final List<DeployedApp> live = new CopyOnWriteArrayList<>();
    final List<DeployedApp> dropped = new CopyOnWriteArrayList<>();

    @Override
    public Accepted check(AppBundle bundle) throws DeployRefusedException {
      checked.add(bundle.manifest().name());
      String tag = bundle.manifest().components().get("web").environment().get("TAG");
      if (tag.equals("refuse")) {
        throw new DeployRefusedException("component 'web': refused by the hook");
      }
      return live::add;
    }

    @Override
    public void dropped(DeployedApp release) {
      dropped.add(release);
    }
  }

  @BeforeEach
  void start() throws Exception {
    releases = new Releases(AppRepository.open(data), ReleasesTest::drainTime);
    releases.listen(hook);
  }

  @AfterEach
  void stop() {
    releases.close();
  }

  /** App {@code name} whose module and one mounted file carry {@code tag}. */
  private AppBundle bundle(String name, String tag) throws Exception {
    Path dir = Files.createDirectories(apps.resolve(name + "-" + tag));
    Fixtures.writeApp(
        dir,
        Map.of(
            "spin.toml",
            Fixtures.manifest(
                name,
                "/...",
                "files = [\"static/*\"]\n" + "environment = { TAG = \"" + tag + "\" }"),
            "web.wasm",
            Fixtures.module(tag),
            "static/tag.txt",
            tag));
    return AppBundle.fromDirectory(dir);
  }

  private boolean onDisk(String blob) {
    return Files.exists(data.resolve(AppRepository.BLOBS_DIR).resolve(blob));
  }

  private boolean allOnDisk(Collection<String> blobs) {
    return blobs.stream().allMatch(this::onDisk);
  }

  private boolean noneOnDisk(Collection<String> blobs) {
    return blobs.stream().noneMatch(this::onDisk);
  }

  /** The blobs {@code release} needs and {@code other} does not. */
  private static Set<String> own(DeployedApp release, DeployedApp other) {
    Set<String> own = new TreeSet<>(release.blobs());
    own.removeAll(other.blobs());
    assertFalse(own.isEmpty());
    return own;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(condition.getAsBoolean(), what);
  }

  @Test
  void aDeployShouldBeCheckedByTheHookThenLiveAndToldToIt() throws Exception {
    DeployedApp app = releases.deploy(bundle("shop", "v1"));

    assertEquals(List.of("shop"), hook.checked);
    assertEquals(List.of(app), hook.live);
    assertEquals(app, releases.app("shop").orElseThrow());
    assertEquals(app, releases.release("shop", app.digest()).orElseThrow());
    assertEquals(List.of(app), releases.apps());
    assertEquals(List.of(), releases.draining());
    assertTrue(allOnDisk(app.blobs()));
  }

  @Test
  void aReplacedReleaseShouldDrainThenBeDroppedWithTheBlobsOnlyItNeeded() throws Exception {
    DeployedApp first = releases.deploy(bundle("quick-swap", "first"));
    DeployedApp second = releases.deploy(bundle("quick-swap", "second"));

    await(() -> !hook.dropped.isEmpty(), "the replaced release is dropped");
    assertEquals(List.of(first), hook.dropped);
    assertEquals(List.of(), releases.draining());
    assertTrue(releases.release("quick-swap", first.digest()).isEmpty());
    assertEquals(second, releases.release("quick-swap", second.digest()).orElseThrow());
    // The release replaced last is what a rollback returns to: its blobs stay until another
    // release replaces the one that replaced it.
    assertTrue(allOnDisk(first.blobs()));
    DeployedApp third = releases.deploy(bundle("quick-swap", "third"));
    Set<String> onlyFirst = own(first, third);
    onlyFirst.removeAll(second.blobs());
    assertFalse(onlyFirst.isEmpty());
    await(
        () -> noneOnDisk(onlyFirst), "the release replaced before the last has its blobs deleted");
    assertTrue(allOnDisk(second.blobs()));
    assertTrue(allOnDisk(third.blobs()));
  }

  @Test
  void aDrainingReleaseShouldStayReachableWithItsBlobsThroughAGarbageCollection() throws Exception {
    DeployedApp first = releases.deploy(bundle("slow-swap", "first"));
    DeployedApp second = releases.deploy(bundle("slow-swap", "second"));
    // Removing another app collects garbage while the first release still drains.
    releases.deploy(bundle("other", "x"));
    assertTrue(releases.remove("other"));

    assertEquals(List.of(first), releases.draining());
    assertEquals(first, releases.release("slow-swap", first.digest()).orElseThrow());
    assertEquals(second, releases.app("slow-swap").orElseThrow());
    assertTrue(allOnDisk(first.blobs()));
    assertEquals(List.of("other"), hook.dropped.stream().map(DeployedApp::name).toList());
  }

  @Test
  void aReleaseShouldDrainForTheTimeGivenForItsApp() throws Exception {
    DeployedApp slow = releases.deploy(bundle("slow-app", "v1"));
    releases.deploy(bundle("slow-app", "v2"));
    DeployedApp quick = releases.deploy(bundle("quick-app", "v1"));
    releases.deploy(bundle("quick-app", "v2"));

    await(() -> hook.dropped.contains(quick), "quick-app's replaced release is dropped");
    assertEquals(List.of(slow), releases.draining());
    assertEquals(List.of(quick), hook.dropped);
  }

  @Test
  void aDrainingReleaseDeployedAgainShouldBeLiveAndNoLongerDraining() throws Exception {
    DeployedApp first = releases.deploy(bundle("slow-back", "first"));
    DeployedApp second = releases.deploy(bundle("slow-back", "second"));
    DeployedApp again = releases.deploy(bundle("slow-back", "first"));

    assertEquals(first.digest(), again.digest());
    assertEquals(List.of(second), releases.draining());
    assertEquals(again, releases.app("slow-back").orElseThrow());
    assertEquals(List.of(), hook.dropped);
    assertTrue(allOnDisk(first.blobs()));
  }

  @Test
  void theLiveContentDeployedAgainShouldStayLiveNotDraining() throws Exception {
    DeployedApp first = releases.deploy(bundle("slow-same", "v1"));
    DeployedApp again = releases.deploy(bundle("slow-same", "v1"));

    assertEquals(first.digest(), again.digest());
    assertEquals(List.of(), releases.draining());
    assertEquals(List.of(), hook.dropped);
  }

  @Test
  void aBundleTheHookRefusesShouldStoreNothingAndLeaveTheLiveRelease() throws Exception {
    DeployedApp live = releases.deploy(bundle("keep", "good"));
    AppBundle refused = bundle("keep", "refuse");

    DeployRefusedException e =
        assertThrows(DeployRefusedException.class, () -> releases.deploy(refused));

    assertEquals("component 'web': refused by the hook", e.getMessage());
    assertEquals(live, releases.app("keep").orElseThrow());
    assertEquals(List.of(), releases.draining());
    assertEquals(List.of(live), hook.live);
    // Neither its module nor its file reached the store.
    assertFalse(onDisk(Digests.sha256(Fixtures.module("refuse"))));
    assertFalse(onDisk(Digests.sha256("refuse".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void removingAnAppShouldDropItsLiveAndDrainingReleasesAndTheirBlobs() throws Exception {
    DeployedApp first = releases.deploy(bundle("slow-gone", "first"));
    DeployedApp second = releases.deploy(bundle("slow-gone", "second"));
    DeployedApp other = releases.deploy(bundle("stays", "x"));

    assertTrue(releases.remove("slow-gone"));

    assertTrue(releases.app("slow-gone").isEmpty());
    assertTrue(releases.release("slow-gone", first.digest()).isEmpty());
    assertTrue(releases.release("slow-gone", second.digest()).isEmpty());
    assertEquals(List.of(), releases.draining());
    assertEquals(Set.of(first, second), Set.copyOf(hook.dropped));
    assertTrue(noneOnDisk(own(first, other)));
    assertTrue(noneOnDisk(own(second, other)));
    assertTrue(allOnDisk(other.blobs()));
    assertFalse(releases.remove("slow-gone"));
  }

  @Test
  void appNamesDifferingOnlyInCaseShouldBeRefusedAndFoundInAnyCase() throws Exception {
    releases.deploy(bundle("Mixed-Case", "v1"));

    DeployRefusedException e =
        assertThrows(
            DeployRefusedException.class, () -> releases.deploy(bundle("mixed-case", "v2")));

    assertTrue(e.getMessage().contains("differs only in case"), e.getMessage());
    assertTrue(e.getMessage().contains("Mixed-Case"), e.getMessage());
    assertEquals("Mixed-Case", releases.appAddressed("mixed-case").orElseThrow().name());
    assertEquals("Mixed-Case", releases.appAddressed("MIXED-CASE").orElseThrow().name());
    assertTrue(releases.app("mixed-case").isEmpty());
    assertTrue(releases.appAddressed("mixed").isEmpty());
  }

  @Test
  void concurrentDeploysOfOneAppShouldLeaveEveryReleaseLiveOrDraining() throws Exception {
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      releases.deploy(bundle("slow-race", "initial"));
      for (int round = 0; round < 5; round++) {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<DeployedApp>> deploys = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          AppBundle bundle = bundle("slow-race", "round-" + round + "-" + t);
          deploys.add(
              pool.submit(
                  () -> {
                    start.await();
                    return releases.deploy(bundle);
                  }));
        }
        for (Future<DeployedApp> deploy : deploys) {
          DeployedApp app = deploy.get();
          // A request routed to any of them just before the next swap still finds it.
          assertTrue(releases.release("slow-race", app.digest()).isPresent(), app.digest());
          assertTrue(allOnDisk(app.blobs()));
        }
      }
      assertEquals(1 + 5 * threads - 1, releases.draining().size());
      assertEquals(List.of(), hook.dropped);
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
          AppBundle bundle = bundle(t % 2 == 0 ? "Case-Race" : "case-race", "r" + round + t);
          deploys.add(
              pool.submit(
                  () -> {
                    start.await();
                    try {
                      return releases.deploy(bundle);
                    } catch (DeployRefusedException refused) {
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
            releases.apps().stream()
                .map(DeployedApp::name)
                .filter(n -> n.toLowerCase(Locale.ROOT).equals("case-race"))
                .toList();
        assertEquals(1, names.size(), "round " + round + ": " + names);
        releases.remove(names.get(0));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
