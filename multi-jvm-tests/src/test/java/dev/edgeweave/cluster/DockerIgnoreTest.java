package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DockerIgnoreTest {

  @Test
  void aWildcardShouldExcludeEveryTopLevelEntryAndEverythingBelowIt() {
    DockerIgnore ignore = DockerIgnore.parse(List.of("*"));
    assertTrue(ignore.excludes("README.md"));
    assertTrue(ignore.excludes(".weave/data/admin-token"));
    assertTrue(ignore.excludes("mesh-node/src/main/java/Node.java"));
  }

  @Test
  void anExceptionShouldLetAFileOrADirectoryBackIn() {
    DockerIgnore ignore =
        DockerIgnore.parse(
            List.of(
                "# only the node", "*", "!mesh-node/target/weave.jar", "!mesh-node/target/lib/"));
    assertFalse(ignore.excludes("mesh-node/target/weave.jar"));
    assertFalse(ignore.excludes("mesh-node/target/lib/pekko-actor_2.13-1.1.3.jar"));
    assertTrue(ignore.excludes("mesh-node/target/classes/reference.conf"));
    assertTrue(ignore.excludes("mesh-node/target/weave.jar.bak"));
    assertTrue(ignore.mayIncludeBelow("mesh-node"));
    assertFalse(ignore.mayIncludeBelow("wasm-host"));
  }

  @Test
  void theLastMatchingPatternShouldDecide() {
    DockerIgnore ignore = DockerIgnore.parse(List.of("!docs", "docs"));
    assertTrue(ignore.excludes("docs/ABI.md"));
    assertFalse(DockerIgnore.parse(List.of("docs", "!docs")).excludes("docs/ABI.md"));
  }

  @Test
  void aDoubleStarShouldMatchAnyNumberOfDirectoriesNoneIncluded() {
    DockerIgnore ignore = DockerIgnore.parse(List.of("**/target", "/.git"));
    assertTrue(ignore.excludes("target"));
    assertTrue(ignore.excludes("wasm-host/target/classes/x.class"));
    assertTrue(ignore.excludes(".git"));
    assertFalse(ignore.excludes("wasm-host/src/main/java/Target.java"));
    assertFalse(ignore.excludes("a.git"));
  }

  @Test
  void aPatternThisMatcherCannotReadShouldBeRefusedRatherThanMisread() {
    assertThrows(IllegalArgumentException.class, () -> DockerIgnore.parse(List.of("[abc]*")));
  }
}
