package dev.edgeweave.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class BundlePathsTest {

  private static boolean matches(String glob, String path) {
    return BundlePaths.glob(glob).matcher(path).matches();
  }

  @Test
  void singleStarShouldStayWithinOneSegment() {
    assertTrue(matches("*.txt", "a.txt"));
    assertFalse(matches("*.txt", "dir/a.txt"));
    assertTrue(matches("static/*", "static/a.css"));
    assertFalse(matches("static/*", "static/sub/a.css"));
  }

  @Test
  void doubleStarShouldSpanSegments() {
    assertTrue(matches("static/**", "static/a.txt"));
    assertTrue(matches("static/**", "static/sub/deeper/b.txt"));
    assertFalse(matches("static/**", "staticx/a.txt"));
    assertTrue(matches("**/*.jpg", "a.jpg"));
    assertTrue(matches("**/*.jpg", "x/y/a.jpg"));
    assertTrue(matches("assets/**/*.jpg", "assets/a.jpg"));
    assertTrue(matches("assets/**/*.jpg", "assets/p/q/a.jpg"));
    assertFalse(matches("assets/**/*.jpg", "assets/p/q/a.png"));
  }

  @Test
  void questionMarkAndClassesShouldMatchOneCharacter() {
    assertTrue(matches("file?.txt", "file1.txt"));
    assertFalse(matches("file?.txt", "file10.txt"));
    assertTrue(matches("[ab].txt", "a.txt"));
    assertFalse(matches("[ab].txt", "c.txt"));
    assertTrue(matches("[!ab].txt", "c.txt"));
  }

  @Test
  void regexCharactersShouldBeLiteral() {
    assertTrue(matches("a+b (1).txt", "a+b (1).txt"));
    assertFalse(matches("a.txt", "abtxt"));
  }

  @Test
  void normalizeShouldKeepPathsInsideTheBundle() {
    assertEquals(Optional.of("b.txt"), BundlePaths.normalize("./a/../b.txt"));
    assertEquals(Optional.of("a/b"), BundlePaths.normalize("a//b/"));
    assertEquals(Optional.empty(), BundlePaths.normalize("../a"));
    assertEquals(Optional.empty(), BundlePaths.normalize("a/../../b"));
    assertEquals(Optional.empty(), BundlePaths.normalize("/etc/passwd"));
    assertEquals(Optional.empty(), BundlePaths.normalize("a\\b"));
    assertEquals(Optional.empty(), BundlePaths.normalize("C:/x"));
  }
}
