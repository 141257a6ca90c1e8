package dev.edgeweave.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The packaged node as mesh-node builds it: {@code weave.jar}, whose manifest names the main class
 * and a Class-Path of jars in {@code lib/} beside it. Nodes run from it exactly as {@code ./weave}
 * and the container image run it.
 */
record Distribution(Path jar) {

  /** System property (set by the build) holding the path of mesh-node's packaged jar. */
  static final String JAR_PROPERTY = "edgeweave.weave-jar";

  /** System property (set by the build) holding the repository's root directory. */
  static final String REPOSITORY_PROPERTY = "edgeweave.repository";

  /** The distribution the reactor just packaged; fails with what to run when there is none. */
  static Distribution packaged() {
    String jar = System.getProperty(JAR_PROPERTY);
    if (jar == null || jar.isEmpty() || jar.startsWith("${")) {
      throw new IllegalStateException(
          "no packaged node: run these tests through Maven (mvn verify), which packages mesh-node"
              + " first and passes -D"
              + JAR_PROPERTY);
    }
    Distribution distribution = new Distribution(Path.of(jar).toAbsolutePath());
    distribution.verify();
    return distribution;
  }

  /** The repository's root directory (the weave script, the Dockerfile). */
  static Path repository() {
    String root = System.getProperty(REPOSITORY_PROPERTY);
    if (root == null || root.isEmpty()) {
      throw new IllegalStateException("-D" + REPOSITORY_PROPERTY + " is not set");
    }
    return Path.of(root).toAbsolutePath().normalize();
  }

  Path directory() {
    return jar.getParent();
  }

  /** The jar's manifest, read from the file. */
  Manifest manifest() {
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      if (manifest == null) {
        throw new IllegalStateException(jar + " has no manifest");
      }
      return manifest;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jar, e);
    }
  }

  /** The Class-Path entries of the jar's manifest, relative to the jar's directory. */
  List<String> classPath() {
    String classPath = manifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
    if (classPath == null || classPath.isBlank()) {
      return List.of();
    }
    return Arrays.stream(classPath.trim().split("\\s+")).toList();
  }

  /**
   * Fails unless this is a runnable distribution: a jar (not a classes directory), a main class
   * inside it, and every Class-Path entry present beside it.
   */
  void verify() {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar
              + " is not a packaged jar: the cluster tests need mesh-node's package phase (mvn"
              + " verify from the repository root)");
    }
    String mainClass = manifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
    if (mainClass == null) {
      throw new IllegalStateException(jar + " names no Main-Class");
    }
    try (JarFile file = new JarFile(jar.toFile())) {
      if (file.getEntry(mainClass.replace('.', '/') + ".class") == null) {
        throw new IllegalStateException(jar + " lacks its Main-Class " + mainClass);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> classPath = classPath();
    if (classPath.isEmpty()) {
      throw new IllegalStateException(
          jar + " has no Class-Path: its dependencies would be missing");
    }
    List<String> missing = new ArrayList<>();
    for (String entry : classPath) {
      if (!Files.isRegularFile(directory().resolve(entry))) {
        missing.add(entry);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "the Class-Path of " + jar + " names files missing beside it: " + missing);
    }
  }

  /**
   * The JVM options the {@code weave} script passes to java (between {@code ${JAVA_OPTS:-}} and
   * {@code -jar}), so tests run nodes exactly as the script does.
   */
  static List<String> scriptJvmOptions(Path weaveScript) {
    try {
      for (String line : Files.readAllLines(weaveScript)) {
        String trimmed = line.trim();
        if (trimmed.startsWith("exec java ")) {
          List<String> words = Arrays.asList(trimmed.split("\\s+"));
          int opts = words.indexOf("${JAVA_OPTS:-}");
          int jarAt = words.indexOf("-jar");
          if (opts < 0 || jarAt < opts) {
            throw new IllegalStateException(
                weaveScript + ": cannot find the JVM options in: " + trimmed);
          }
          return List.copyOf(words.subList(opts + 1, jarAt));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException(weaveScript + " has no 'exec java' line");
  }
}
