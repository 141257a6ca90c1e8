package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image, checked without a container engine: the Dockerfile copies mesh-node's
 * packaged output from the build context (the repository, as the host's Maven build left it), so
 * applying its {@code COPY} lines to this build's output gives the image's files. They must make a
 * complete node (every Class-Path entry of the jar beside it), started with the weave script's java
 * options, and a node must start from them. The build context ({@code .dockerignore}) must hold
 * exactly what the image copies: no sources, no node data with its admin token.
 */
class ImageLayoutTest {

  @TempDir Path image;

  /** One Dockerfile instruction: the keyword and the rest of the line. */
  record Instruction(String keyword, String arguments) {}

  /** A parsed Dockerfile: the ARGs before the first FROM (with defaults), then each stage. */
  record Dockerfile(Map<String, String> globalArgs, List<List<Instruction>> stages) {

    /** The runtime stage's COPY lines as (source in the context, destination) pairs. */
    List<String[]> copies() {
      List<String[]> copies = new ArrayList<>();
      for (Instruction i : stages.get(stages.size() - 1)) {
        switch (i.keyword()) {
          case "COPY" -> {
            String[] words = i.arguments().split("\\s+");
            if (words.length != 2 || words[0].startsWith("--") || words[0].startsWith("[")) {
              throw new AssertionError(
                  "this check understands only COPY SRC DEST, from the build context: " + i);
            }
            copies.add(words);
          }
          case "ADD" -> throw new AssertionError("this check does not understand ADD: " + i);
          default -> {
            // ENTRYPOINT, CMD, ENV, RUN (users, directories) and the like copy no node files.
          }
        }
      }
      return copies;
    }

    List<String> execForm(String keyword) {
      Instruction instruction =
          stages.get(stages.size() - 1).stream()
              .filter(i -> i.keyword().equals(keyword))
              .reduce((a, b) -> b)
              .orElseThrow(() -> new AssertionError("the image has no " + keyword));
      return stringList(instruction);
    }
  }

  @Test
  void theImageShouldHoldACompleteNodeRunWithTheWeaveScriptsJavaOptions() throws Exception {
    Path repository = Distribution.repository();
    Dockerfile dockerfile = parse(repository.resolve("Dockerfile"));
    assertEquals(
        1,
        dockerfile.stages().size(),
        "one stage: the image is its base and the host's build, no build image to pull");
    String from = dockerfile.stages().get(0).get(0).arguments();
    String base = substitute(from, dockerfile.globalArgs());
    assertFalse(
        base.isEmpty() || base.contains("$"),
        "FROM " + from + " must name an image by default (ARG with a default), got: " + base);

    List<String[]> copies = dockerfile.copies();
    assertFalse(copies.isEmpty(), "the image copies nothing from the build");
    for (String[] copy : copies) {
      copy(repository.resolve(copy[0]), image.resolve(copy[1].substring(1)));
    }

    // ["sh", "-c", "exec java $JAVA_OPTS <options> -jar <jar> \"$@\"", "weave"]
    List<String> entrypoint = dockerfile.execForm("ENTRYPOINT");
    assertEquals(List.of("sh", "-c"), entrypoint.subList(0, 2), "entrypoint " + entrypoint);
    List<String> command = Arrays.asList(entrypoint.get(2).trim().split("\\s+"));
    assertEquals(List.of("exec", "java", "$JAVA_OPTS"), command.subList(0, 3), "" + command);
    int jarAt = command.indexOf("-jar");
    assertTrue(jarAt > 0, "the entrypoint runs no -jar: " + command);
    List<String> options = command.subList(3, jarAt);
    assertEquals(
        Distribution.scriptJvmOptions(repository.resolve("weave")),
        options,
        "the image must run java with the weave script's options");
    assertEquals(
        List.of("up"),
        dockerfile.execForm("CMD"),
        "the image's node starts with no apps of its own: deploys spread through the cluster");

    Path jar = image.resolve(command.get(jarAt + 1).substring(1));
    Distribution inImage = new Distribution(jar);
    inImage.verify();
    assertFalse(inImage.classPath().isEmpty());
    for (String entry : inImage.classPath()) {
      assertTrue(Files.isRegularFile(jar.getParent().resolve(entry)), entry + " not in the image");
    }

    try (WeaveCluster node =
        WeaveCluster.named("image").location("eu", 1).distribution(inImage, options).build()) {
      node.startAll();
      NodeStatus status = node.awaitClusterUp(1).values().iterator().next();
      assertEquals("eu", status.location());
    }
  }

  @Test
  void theBuildContextShouldHoldExactlyTheFilesTheImageCopies() throws Exception {
    Path repository = Distribution.repository();
    Dockerfile dockerfile = parse(repository.resolve("Dockerfile"));
    Set<String> copied = new TreeSet<>();
    for (String[] copy : dockerfile.copies()) {
      Path source = repository.resolve(copy[0]);
      if (!Files.exists(source)) {
        throw new AssertionError("the build does not produce " + source);
      }
      try (Stream<Path> files = Files.walk(source)) {
        files
            .filter(Files::isRegularFile)
            .forEach(f -> copied.add(repository.relativize(f).toString()));
      }
    }
    // Docker sends these two whatever .dockerignore says; the image copies neither.
    Set<String> context = buildContext(repository);
    context.removeAll(Set.of("Dockerfile", ".dockerignore"));
    assertEquals(copied, context, "the build context (after .dockerignore) vs the image's copies");
  }

  /** The files a build of {@code repository} sends to the engine, as .dockerignore leaves them. */
  static Set<String> buildContext(Path repository) throws IOException {
    DockerIgnore ignore = DockerIgnore.read(repository.resolve(".dockerignore"));
    Set<String> context = new TreeSet<>();
    Files.walkFileTree(
        repository,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            String relative = repository.relativize(dir).toString();
            if (!relative.isEmpty()
                && ignore.excludes(relative)
                && !ignore.mayIncludeBelow(relative)) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String relative = repository.relativize(file).toString();
            if (!ignore.excludes(relative)) {
              context.add(relative);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return context;
  }

  /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
  static Dockerfile parse(Path dockerfile) throws IOException {
    Map<String, String> globalArgs = new LinkedHashMap<>();
    List<List<Instruction>> stages = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String raw : Files.readAllLines(dockerfile)) {
      String trimmed = raw.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && line.length() == 0)) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        line.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      line.append(trimmed);
      String[] parts = line.toString().split("\\s+", 2);
      line.setLength(0);
      Instruction instruction =
          new Instruction(parts[0].toUpperCase(), parts.length > 1 ? parts[1].strip() : "");
      if (instruction.keyword().equals("FROM")) {
        stages.add(new ArrayList<>());
      }
      if (stages.isEmpty()) {
        // Only ARG may come before the first FROM; its value is what FROM lines may use.
        if (!instruction.keyword().equals("ARG")) {
          throw new AssertionError("an instruction before the first FROM: " + instruction);
        }
        String[] arg = instruction.arguments().split("=", 2);
        globalArgs.put(arg[0], arg.length > 1 ? arg[1] : "");
        continue;
      }
      stages.get(stages.size() - 1).add(instruction);
    }
    if (stages.isEmpty()) {
      throw new AssertionError(dockerfile + " has no FROM");
    }
    return new Dockerfile(globalArgs, stages);
  }

  /** {@code $NAME} and {@code ${NAME}} replaced by the ARG defaults before the first FROM. */
  static String substitute(String text, Map<String, String> args) {
    Matcher m = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)\\}?").matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = args.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
    }
    return m.appendTail(out).toString();
  }

  @SuppressWarnings("unchecked")
  private static List<String> stringList(Instruction instruction) {
    Object parsed = Json.parse(instruction.arguments());
    if (!(parsed instanceof List)) {
      throw new AssertionError("expected the exec form [\"...\"]: " + instruction);
    }
    return (List<String>) parsed;
  }

  /** Docker's COPY: a file to its destination, a directory's contents into the destination. */
  private static void copy(Path source, Path destination) throws IOException {
    if (!Files.exists(source)) {
      throw new AssertionError("the build does not produce " + source);
    }
    if (Files.isRegularFile(source)) {
      Files.createDirectories(destination.getParent());
      Files.copy(source, destination, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try (Stream<Path> files = Files.walk(source)) {
      for (Path from : files.toList()) {
        Path to = destination.resolve(source.relativize(from).toString());
        if (Files.isDirectory(from)) {
          Files.createDirectories(to);
        } else {
          Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
