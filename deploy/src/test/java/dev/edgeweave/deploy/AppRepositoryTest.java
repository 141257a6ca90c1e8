package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.deploy.internal.Digests;
import dev.edgeweave.deploy.internal.proto.ReleaseRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppRepositoryTest {

  @TempDir Path data;
  @TempDir Path apps;

  /** An app named {@code name} whose module and one mounted file carry {@code tag}. */
  private AppBundle bundle(String name, String tag) throws Exception {
    Path dir = Files.createDirectories(apps.resolve(name + "-" + tag));
    Fixtures.writeApp(
        dir,
        Map.of(
            "spin.toml",
            Fixtures.manifest(
                name,
                "/" + name + "/...",
                "files = [\"static/*\"]\n" + "environment = { TAG = \"" + tag + "\" }"),
            "web.wasm",
            Fixtures.module(tag),
            "static/tag.txt",
            tag));
    return AppBundle.fromDirectory(dir);
  }

  private Path blob(String digest) {
    return data.resolve(AppRepository.BLOBS_DIR).resolve(digest);
  }

  @Test
  void deployedAppShouldBeServedFromMemoryAndStoredByDigest() throws Exception {
    AppRepository repo = AppRepository.open(data);

    DeployedApp app = repo.deploy(bundle("shop", "v1"));

    assertEquals(Optional.of(app), repo.get("shop"));
    assertEquals(List.of(app), repo.list());
    DeployedComponent web = app.components().get("web");
    assertArrayEquals(Fixtures.module("v1"), repo.blob(web.moduleDigest()));
    assertEquals(Digests.sha256(Fixtures.module("v1")), web.moduleDigest());
    assertEquals(
        "v1", new String(repo.blob(web.files().get("/static/tag.txt")), StandardCharsets.UTF_8));
    assertEquals(Map.of("TAG", "v1"), web.environment());
    assertEquals("web", app.routes().match("/shop/x").orElseThrow().componentId());
    assertTrue(Files.isRegularFile(blob(web.moduleDigest())));
    assertTrue(Files.isRegularFile(blob(app.digest())));
    assertEquals(
        app.digest() + " " + app.deployedAt().toEpochMilli() + "\n",
        Files.readString(data.resolve(AppRepository.APPS_DIR).resolve("shop")));
  }

  @Test
  void releaseRecordShouldBeAProtobufDescribingTheDeployment() throws Exception {
    AppRepository repo = AppRepository.open(data);
    AppBundle bundle = bundle("shop", "v1");

    DeployedApp app = repo.deploy(bundle);

    ReleaseRecord record = ReleaseRecord.parseFrom(Files.readAllBytes(blob(app.digest())));
    assertEquals("shop", record.getAppName());
    assertEquals(bundle.manifestText(), record.getManifestToml());
    assertEquals(
        Map.of("web", app.components().get("web").moduleDigest()), record.getComponentModulesMap());
    assertEquals(
        Map.of(
            "web.wasm", Digests.sha256(Fixtures.module("v1")),
            "static/tag.txt", Digests.sha256("v1".getBytes(StandardCharsets.UTF_8))),
        record.getFilesMap());
  }

  @Test
  void theSameFilesShouldGiveTheSameReleaseDigestOnEveryNode() throws Exception {
    DeployedApp here = AppRepository.open(data.resolve("node-a")).deploy(bundle("shop", "v1"));
    Thread.sleep(5);
    DeployedApp there = AppRepository.open(data.resolve("node-b")).deploy(bundle("shop", "v1"));
    assertEquals(here.digest(), there.digest());
    DeployedApp changed = AppRepository.open(data.resolve("node-b")).deploy(bundle("shop", "v2"));
    assertNotEquals(here.digest(), changed.digest());
  }

  @Test
  void restartedRepositoryShouldServeTheSameApps() throws Exception {
    AppRepository first = AppRepository.open(data);
    DeployedApp shop = first.deploy(bundle("shop", "v1"));
    DeployedApp blog = first.deploy(bundle("blog", "b1"));

    AppRepository second = AppRepository.open(data);

    assertEquals(List.of("blog", "shop"), second.list().stream().map(DeployedApp::name).toList());
    DeployedApp reloaded = second.get("shop").orElseThrow();
    assertEquals(shop.digest(), reloaded.digest());
    assertEquals(shop.deployedAt(), reloaded.deployedAt());
    assertEquals(shop.manifest(), reloaded.manifest());
    assertEquals(shop.components(), reloaded.components());
    assertArrayEquals(
        Fixtures.module("v1"), second.blob(reloaded.components().get("web").moduleDigest()));
    assertEquals("web", reloaded.routes().match("/shop/").orElseThrow().componentId());
    assertEquals(blog.digest(), second.get("blog").orElseThrow().digest());
    assertEquals(Map.of(), second.loadFailures());
  }

  @Test
  void redeployShouldReplaceTheAppWithANewDigest() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp v1 = repo.deploy(bundle("shop", "v1"));

    DeployedApp v2 = repo.deploy(bundle("shop", "v2"));

    assertNotEquals(v1.digest(), v2.digest());
    assertEquals(List.of(v2), repo.list());
    assertEquals(v2.digest(), AppRepository.open(data).get("shop").orElseThrow().digest());
  }

  @Test
  void redeployOfTheSameFilesShouldKeepTheReleaseAndRecordTheNewTime() throws Exception {
    AppRepository repo = AppRepository.open(data);
    AppBundle bundle = bundle("shop", "v1");
    DeployedApp first = repo.deploy(bundle);
    Thread.sleep(2); // deployedAt has millisecond resolution

    DeployedApp second = repo.deploy(bundle);

    assertEquals(first.digest(), second.digest());
    assertTrue(second.deployedAt().isAfter(first.deployedAt()));
    assertEquals(
        second.deployedAt(), AppRepository.open(data).get("shop").orElseThrow().deployedAt());
  }

  @Test
  void corruptedBlobShouldFailOnlyItsApp() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp shop = repo.deploy(bundle("shop", "v1"));
    repo.deploy(bundle("blog", "b1"));
    String moduleDigest = shop.components().get("web").moduleDigest();
    Files.write(blob(moduleDigest), new byte[] {0, 'a', 's', 'm', 9, 9, 9, 9});

    AppRepository reopened = AppRepository.open(data);

    assertEquals(Optional.empty(), reopened.get("shop"));
    assertTrue(reopened.get("blog").isPresent());
    String reason = reopened.loadFailures().get("shop");
    assertTrue(
        reason.startsWith("blob " + moduleDigest + " is corrupted: its content hashes to "),
        reason);
  }

  @Test
  void missingBlobShouldFailItsAppWithAClearReason() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp shop = repo.deploy(bundle("shop", "v1"));
    Files.delete(blob(shop.digest()));

    AppRepository reopened = AppRepository.open(data);

    assertEquals(Map.of("shop", "blob " + shop.digest() + " is missing"), reopened.loadFailures());
    assertEquals(List.of(), reopened.list());
  }

  @Test
  void redeployShouldRepairACorruptedBlob() throws Exception {
    AppRepository repo = AppRepository.open(data);
    AppBundle bundle = bundle("shop", "v1");
    DeployedApp shop = repo.deploy(bundle);
    Path module = blob(shop.components().get("web").moduleDigest());
    Files.write(module, new byte[] {1, 2, 3});

    repo.deploy(bundle);

    assertArrayEquals(Fixtures.module("v1"), Files.readAllBytes(module));
    assertEquals(Map.of(), AppRepository.open(data).loadFailures());
  }

  @Test
  void removedAppShouldStayGoneAfterRestartButKeepItsBlobs() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp shop = repo.deploy(bundle("shop", "v1"));

    assertTrue(repo.remove("shop"));

    assertEquals(Optional.empty(), repo.get("shop"));
    assertFalse(repo.remove("shop"));
    assertEquals(List.of(), AppRepository.open(data).list());
    assertTrue(Files.exists(blob(shop.digest())), "blobs are not collected");
  }

  @Test
  void appThatFailedToLoadShouldBeRemovable() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp shop = repo.deploy(bundle("shop", "v1"));
    Files.delete(blob(shop.digest()));
    AppRepository reopened = AppRepository.open(data);

    assertTrue(reopened.remove("shop"));

    assertEquals(Map.of(), reopened.loadFailures());
    assertEquals(Map.of(), AppRepository.open(data).loadFailures());
  }

  @Test
  void leftoverTemporaryFilesShouldBeClearedOnOpen() throws Exception {
    Path tmp = Files.createDirectories(data.resolve(AppRepository.TMP_DIR));
    Files.writeString(tmp.resolve("write-123.tmp"), "half written");

    AppRepository.open(data);

    try (var files = Files.list(tmp)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void bundleOverTheRepositoryLimitsShouldBeRefused() throws Exception {
    AppRepository repo = AppRepository.open(data, BundleLimits.defaults().withMaxTotalBytes(10));

    BundleException e =
        assertThrows(BundleException.class, () -> repo.deploy(bundle("shop", "v1")));

    assertTrue(e.getMessage().contains("over this repository's limits"), e.getMessage());
    assertEquals(List.of(), repo.list());
  }

  @Test
  void concurrentDeploysShouldAllLand() throws Exception {
    AppRepository repo = AppRepository.open(data);
    List<AppBundle> bundles = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      bundles.add(bundle("app" + i, "t" + (i % 2))); // half the blobs are shared
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<DeployedApp>> results = new ArrayList<>();
      for (AppBundle b : bundles) {
        results.add(pool.submit(() -> repo.deploy(b)));
        results.add(pool.submit(() -> repo.deploy(b)));
      }
      for (Future<DeployedApp> f : results) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    AppRepository reopened = AppRepository.open(data);
    assertEquals(8, reopened.list().size());
    assertEquals(Map.of(), reopened.loadFailures());
    for (int i = 0; i < 8; i++) {
      assertEquals(
          repo.get("app" + i).orElseThrow().digest(),
          reopened.get("app" + i).orElseThrow().digest());
    }
  }

  @Test
  void anOpenedRepositoryShouldHoldDigestsNotContent() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp shop = repo.deploy(bundle("shop", "v1"));

    DeployedApp reloaded = AppRepository.open(data).get("shop").orElseThrow();

    // What a component holds names its blobs; the content is read from disk when asked for.
    assertEquals(
        Map.of("/static/tag.txt", Digests.sha256("v1".getBytes(StandardCharsets.UTF_8))),
        reloaded.components().get("web").files());
    assertEquals(
        java.util.Set.of(
            shop.digest(),
            Digests.sha256(Fixtures.module("v1")),
            Digests.sha256("v1".getBytes(StandardCharsets.UTF_8))),
        reloaded.blobs());
  }

  @Test
  void aBlobCorruptedAfterOpenShouldBeRefusedWhenRead() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp shop = repo.deploy(bundle("shop", "v1"));
    String module = shop.components().get("web").moduleDigest();
    Files.write(blob(module), new byte[] {1, 2, 3});

    java.io.IOException e = assertThrows(java.io.IOException.class, () -> repo.blob(module));

    assertTrue(e.getMessage().startsWith("blob " + module + " is corrupted"), e.getMessage());
  }

  @Test
  void garbageCollectionShouldDeleteOnlyBlobsNoAppOrKeptReleaseRefersTo() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp v1 = repo.deploy(bundle("shop", "v1"));
    DeployedApp v2 = repo.deploy(bundle("shop", "v2"));
    DeployedApp blog = repo.deploy(bundle("blog", "v1")); // shares v1's module and file
    Files.writeString(blob(Digests.sha256(new byte[] {7})), "stray");

    // v1 still draining: only the stray blob goes.
    assertEquals(1, repo.collectGarbage(() -> List.of(v1)));
    for (String b : v1.blobs()) {
      assertTrue(Files.exists(blob(b)), b);
    }
    // v1 done draining but still shop's previous release (a rollback's target): all of it stays.
    assertEquals(0, repo.collectGarbage(List::of));
    assertEquals(Optional.of(v1.digest()), repo.previous("shop"));
    // Replaced as the previous release by v2: v1's release record goes; what the blog shares stays.
    DeployedApp v3 = repo.deploy(bundle("shop", "v3"));
    assertEquals(Optional.of(v2.digest()), repo.previous("shop"));
    assertEquals(1, repo.collectGarbage(List::of));
    assertFalse(Files.exists(blob(v1.digest())));
    for (String b : v2.blobs()) {
      assertTrue(Files.exists(blob(b)), b);
    }
    repo.remove("shop");
    assertEquals(Optional.empty(), repo.previous("shop"));
    repo.collectGarbage(List::of);

    java.util.Set<String> left = new java.util.TreeSet<>();
    try (var files = Files.list(data.resolve(AppRepository.BLOBS_DIR))) {
      files.forEach(f -> left.add(f.getFileName().toString()));
    }
    assertEquals(blog.blobs(), left);
    assertFalse(Files.exists(blob(v2.digest())));
    assertFalse(Files.exists(blob(v2.components().get("web").moduleDigest())));
    assertFalse(Files.exists(blob(v3.digest())));
    assertEquals(Map.of(), AppRepository.open(data).loadFailures());
  }

  @Test
  void thePreviousReleaseShouldSurviveARestartAndARedeployOfTheSameFiles() throws Exception {
    AppRepository repo = AppRepository.open(data);
    DeployedApp v1 = repo.deploy(bundle("shop", "v1"));
    assertEquals(Optional.empty(), repo.previous("shop"));
    repo.deploy(bundle("shop", "v2"));
    repo.deploy(bundle("shop", "v2"));

    AppRepository reopened = AppRepository.open(data);
    reopened.collectGarbage(List::of);

    assertEquals(Optional.of(v1.digest()), reopened.previous("shop"));
    for (String b : v1.blobs()) {
      assertArrayEquals(Files.readAllBytes(blob(b)), reopened.blob(b), b);
    }
  }

  @Test
  void aReleaseRecordOverTheBoundShouldBeRefusedBeforeAnythingIsStored() throws Exception {
    Path dir = Files.createDirectories(apps.resolve("many"));
    Map<String, Object> files = new java.util.HashMap<>();
    files.put("spin.toml", Fixtures.manifest("many", "/...", "files = [\"static/*\"]"));
    files.put("web.wasm", Fixtures.module("many"));
    for (int i = 0; i < 40; i++) {
      files.put("static/file-with-a-rather-long-name-" + i + ".txt", "content " + i);
    }
    Fixtures.writeApp(dir, files);
    AppBundle bundle = AppBundle.fromDirectory(dir);
    // 40 files of about 100 bytes each in the record: over 2 KiB, under 8 KiB.
    AppRepository small = AppRepository.open(data, BundleLimits.defaults(), 2048);

    BundleException e = assertThrows(BundleException.class, () -> small.deploy(bundle));

    assertTrue(e.getMessage().contains("edgeweave.spread.max-record-bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("over the 2048 bytes"), e.getMessage());
    assertEquals(List.of(), small.list());
    try (var blobs = Files.list(data.resolve(AppRepository.BLOBS_DIR))) {
      assertEquals(0, blobs.count());
    }
    AppRepository.open(data, BundleLimits.defaults(), 8192).deploy(bundle);
  }
}
