package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image, checked without a container engine: the Dockerfile's build stage packages
 * the repository, so applying the runtime stage's {@code COPY --from=build} lines to this build's
 * packaged output gives the image's files. They must make a complete node (every Class-Path entry
 * of the jar beside it), started with the weave script's java options, and a node must start from
 * them.
 */
class ImageLayoutTest {

  @TempDir Path image;

  /** One Dockerfile instruction: the keyword and the rest of the line. */
  record Instruction(String keyword, String arguments) {}

  @Test
  void theImageShouldHoldACompleteNodeRunWithTheWeaveScriptsJavaOptions() throws Exception {
    Path repository = Distribution.repository();
    List<List<Instruction>> stages = stages(repository.resolve("Dockerfile"));
    assertTrue(stages.size() >= 2, "expected a build stage and a runtime stage");

    List<Instruction> build = stages.get(0);
    assertTrue(
        build.get(0).arguments().matches(".*\\s+[Aa][Ss]\\s+build"),
        "the first stage is the build stage: " + build.get(0));
    String workdir = lastArgument(build, "WORKDIR");
    assertTrue(
        build.contains(new Instruction("COPY", ". .")),
        "the build stage copies the repository into " + workdir);
    assertTrue(
        build.stream()
            .anyMatch(i -> i.keyword().equals("RUN") && i.arguments().contains(" package")),
        "the build stage packages the node");

    List<String> entrypoint = null;
    int copies = 0;
    for (Instruction i : stages.get(stages.size() - 1)) {
      switch (i.keyword()) {
        case "COPY" -> {
          String[] words = i.arguments().split("\\s+");
          if (words.length != 3 || !words[0].equals("--from=build")) {
            throw new AssertionError(
                "this check understands only COPY --from=build SRC DEST: " + i);
          }
          copy(
              mapToRepository(words[1], workdir, repository), image.resolve(words[2].substring(1)));
          copies++;
        }
        case "ADD" -> throw new AssertionError("this check does not understand ADD: " + i);
        case "ENTRYPOINT" -> entrypoint = stringList(i);
        default -> {
          // EXPOSE, CMD, ENV and the like put no files in the image.
        }
      }
    }
    assertTrue(copies > 0, "the runtime stage copies nothing from the build");
    assertTrue(entrypoint != null, "the runtime stage has no ENTRYPOINT");

    // ["sh", "-c", "exec java $JAVA_OPTS <options> -jar <jar> \"$@\"", "weave"]
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

  /** The Dockerfile's instructions, continuation lines joined, comments dropped, per stage. */
  static List<List<Instruction>> stages(Path dockerfile) throws IOException {
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
        throw new AssertionError("an instruction before the first FROM: " + instruction);
      }
      stages.get(stages.size() - 1).add(instruction);
    }
    return stages;
  }

  private static String lastArgument(List<Instruction> stage, String keyword) {
    return stage.stream()
        .filter(i -> i.keyword().equals(keyword))
        .reduce((a, b) -> b)
        .map(Instruction::arguments)
        .orElseThrow(() -> new AssertionError("the build stage has no " + keyword));
  }

  /** A path of the build stage, where the repository was copied to {@code workdir}. */
  private static Path mapToRepository(String path, String workdir, Path repository) {
    String prefix = workdir.endsWith("/") ? workdir : workdir + "/";
    if (!path.startsWith(prefix)) {
      throw new AssertionError(path + " is not under the build stage's " + workdir);
    }
    return repository.resolve(path.substring(prefix.length()));
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
