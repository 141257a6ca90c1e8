package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files: every {@code manifests/invalid/NAME.toml} is rejected with exactly the errors in
 * {@code NAME.err}, one per line, in order.
 */
class SpinManifestGoldenTest {

  private static final Path INVALID = Fixtures.resourceDir("manifests/invalid");

  /** The suite is only worth something with enough cases: keep at least this many. */
  private static final int MIN_CASES = 15;

  static Stream<String> invalidManifests() throws IOException {
    try (Stream<Path> files = Files.list(INVALID)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".toml"))
          .map(n -> n.substring(0, n.length() - ".toml".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidManifests")
  void invalidManifestShouldFailWithTheGoldenErrors(String name) throws IOException {
    String toml = Files.readString(INVALID.resolve(name + ".toml"));
    Path golden = INVALID.resolve(name + ".err");
    assertTrue(Files.exists(golden), "missing golden file " + golden);
    List<String> expected = Files.readAllLines(golden).stream().filter(l -> !l.isBlank()).toList();

    ManifestException e = assertThrows(ManifestException.class, () -> SpinManifest.parse(toml));

    assertEquals(String.join("\n", expected), String.join("\n", e.errors()));
  }

  @Test
  void everyGoldenFileShouldHaveItsManifestAndThereShouldBeEnoughCases() throws IOException {
    List<String> cases = invalidManifests().toList();
    assertTrue(
        cases.size() >= MIN_CASES,
        "expected at least " + MIN_CASES + " invalid manifests, found " + cases.size());
    try (Stream<Path> files = Files.list(INVALID)) {
      for (Path err : files.filter(p -> p.toString().endsWith(".err")).toList()) {
        String base = err.getFileName().toString().replace(".err", "");
        assertTrue(cases.contains(base), err + " has no " + base + ".toml beside it");
      }
    }
  }
}
