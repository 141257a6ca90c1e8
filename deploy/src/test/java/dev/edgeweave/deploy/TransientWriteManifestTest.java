package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A component opts into transient writes in its Edgeweave tool table, which Spin ignores. */
class TransientWriteManifestTest {
  private static final String MANIFEST =
      """
      spin_manifest_version = 2

      [application]
      name = "transient"

      [[trigger.http]]
      route = "/..."
      component = "web"
      executor = { type = "wagi" }

      [[trigger.http]]
      route = "/static/..."
      component = "files"
      executor = { type = "wagi" }

      [component.web]
      source = "web.wasm"
      [component.web.tool.edgeweave]
      allow_transient_write = true

      [component.files]
      source = "files.wasm"
      [component.files.tool.other]
      allow_transient_write = true
      """;

  @Test
  void allowTransientWriteInTheEdgeweaveToolTableTurnsThemOn() throws Exception {
    AppManifest m = SpinManifest.parse(MANIFEST);

    assertTrue(m.components().get("web").allowTransientWrite());
  }

  @Test
  void componentsAreReadOnlyUnlessTheyAskEvenIfAnotherToolSaysSo() throws Exception {
    AppManifest m = SpinManifest.parse(MANIFEST);

    assertFalse(m.components().get("files").allowTransientWrite());
    assertFalse(ComponentManifest.of("x", "x.wasm").allowTransientWrite());
  }
}
