package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.internal.proto.ReleaseRecord;
import dev.edgeweave.deploy.spread.ReleaseNotice;
import dev.edgeweave.sharding.TestApps;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What the ingress learns of releases it has not installed, from the gossiped maps. */
class ClusterReleaseViewTest {

  private final AtomicReference<Map<String, String>> ready = new AtomicReference<>(Map.of());
  private final ClusterReleaseView view = new ClusterReleaseView(ready);

  private static ReleaseNotice release(String app, String route) {
    String manifest =
        TestApps.app(app).wagi(route, "main", new byte[] {0, 'a', 's', 'm'}).manifest();
    byte[] record =
        ReleaseRecord.newBuilder()
            .setAppName(app)
            .setManifestToml(manifest)
            .putComponentModules("main", "0".repeat(64))
            .putFiles("main.wasm", "0".repeat(64))
            .build()
            .toByteArray();
    return ReleaseNotice.release(app, record, 1000, "pekko://weave@127.0.0.1:1");
  }

  @Test
  void theCurrentReleaseOfAnAppNotInstalledHereIsRoutableByNameInAnyCase() {
    ReleaseNotice notice = release("shop", "/cart/...");
    view.update(Map.of("shop", notice));
    Optional<DeployedApp> app = view.current("SHOP");
    assertTrue(app.isPresent());
    assertEquals("shop", app.get().name());
    assertEquals(notice.releaseDigest(), app.get().digest());
    assertTrue(app.get().routes().match("/cart/items").isPresent());
    assertTrue(app.get().routes().match("/other").isEmpty());
  }

  @Test
  void aRemovedOrUnknownAppHasNoCurrentRelease() {
    view.update(Map.of("shop", ReleaseNotice.removal("shop", 2000, "pekko://weave@127.0.0.1:1")));
    assertEquals(Optional.empty(), view.current("shop"));
    assertEquals(Optional.empty(), view.current("unknown"));
  }

  @Test
  void aNewReleaseReplacesTheOneRoutedBefore() {
    view.update(Map.of("shop", release("shop", "/cart/...")));
    view.current("shop");
    ReleaseNotice next = release("shop", "/basket/...");
    view.update(Map.of("shop", next));
    DeployedApp app = view.current("shop").orElseThrow();
    assertEquals(next.releaseDigest(), app.digest());
    assertTrue(app.routes().match("/basket/x").isPresent());
  }

  @Test
  void whoServesWhatComesFromTheRolloutStatusOfThatAppOnly() {
    ready.set(
        Map.of(
            "pekko://weave@127.0.0.1:1 shop", "d1",
            "pekko://weave@127.0.0.1:2 shop", "d2",
            "pekko://weave@127.0.0.1:3 shop", "",
            "pekko://weave@127.0.0.1:1 shops", "d9"));
    assertEquals(
        Map.of(
            "pekko://weave@127.0.0.1:1", "d1",
            "pekko://weave@127.0.0.1:2", "d2",
            "pekko://weave@127.0.0.1:3", ""),
        view.servedBy("shop"));
  }
}
