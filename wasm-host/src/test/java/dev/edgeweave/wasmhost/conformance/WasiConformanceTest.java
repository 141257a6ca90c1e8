package dev.edgeweave.wasmhost.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.edgeweave.wasmhost.CommandFunction;
import dev.edgeweave.wasmhost.ComponentSpec;
import dev.edgeweave.wasmhost.EngineConfig;
import dev.edgeweave.wasmhost.GuestException;
import dev.edgeweave.wasmhost.InvalidModuleException;
import dev.edgeweave.wasmhost.WasmEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs the preview1 programs of the WebAssembly WASI test suite through the engine, runner and WASI
 * layer that serve requests, in command mode, as the suite's specification says: the spec's
 * arguments and only its environment, its {@code root} directory preopened as {@code /} with
 * transient writes on (a fresh in-memory copy per program, so the suite's directory is never
 * written), stdin empty; then checks exit code, stdout and stderr.
 *
 * <p>Writes {@code WASI-CONFORMANCE.md} and fails if a program listed in {@code
 * wasi-conformance/expected-passes.txt} does not pass. Not part of the default test run (the suite
 * is not part of the project): {@code mvn -pl wasm-host test -Pwasi-conformance
 * -Dwasi.testsuite=DIR}. Without a readable suite it fails, it never passes vacuously.
 */
class WasiConformanceTest {
  private static final String SUITE_PROPERTY = "wasi.testsuite";
  private static final String REPORT_PROPERTY = "wasi.conformance.report";

  /**
   * Programs that cannot pass by design, and the decision that rules them out. They still run, and
   * their outcome is reported.
   */
  static final Map<String, String> NOT_APPLICABLE = notApplicable();

  enum Status {
    PASS("pass"),
    FAIL("fail"),
    NOT_APPLICABLE("n/a");

    final String label;

    Status(String label) {
      this.label = label;
    }
  }

  record Outcome(String program, Status status, String detail) {}

  private static Map<String, String> notApplicable() {
    Map<String, String> m = new TreeMap<>();
    String symlinks =
        "needs symbolic links: a component's tree is built from an app's file contents (deploy"
            + " reads files without following links), so it has none, and the overlay makes none"
            + " (path_symlink answers ENOTSUP, path_readlink EINVAL; wasm-host README)";
    for (String program :
        List.of(
            "rust/nofollow_errors",
            "rust/path_exists",
            "rust/path_symlink_trailing_slashes",
            "rust/readlink",
            "rust/symlink_create",
            "rust/symlink_filestat")) {
      m.put(program, symlinks);
    }
    m.put(
        "c/sock_shutdown-invalid_fd",
        "expects no preopened directory, so that fd 3 is invalid: every component gets `/`"
            + " preopened at fd 3 (an empty directory when it has no files; wasm-host README), so"
            + " shutdown(3) answers ENOTSOCK, as for any descriptor that is not a socket");
    return m;
  }

  @Test
  void everyProgramThatPassedBeforeStillPasses() throws Exception {
    String suiteProperty = System.getProperty(SUITE_PROPERTY);
    if (suiteProperty == null || suiteProperty.isBlank()) {
      fail("set -D" + SUITE_PROPERTY + "=<path of the WASI test suite> to run the conformance run");
    }
    Path suite = Paths.get(suiteProperty).toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(suite), "no WASI test suite at " + suite);
    List<Path> programs = programs(suite);
    assertTrue(
        programs.size() >= 10, "found only " + programs.size() + " preview1 programs in " + suite);
    String before = fingerprint(suite);

    List<Outcome> outcomes = new ArrayList<>();
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      for (Path program : programs) {
        outcomes.add(run(engine, suite, program));
      }
    }

    assertEquals(before, fingerprint(suite), "the run changed the suite's directory");
    String report = report(outcomes);
    String reportPath = System.getProperty(REPORT_PROPERTY);
    if (reportPath != null && !reportPath.isBlank()) {
      Files.writeString(Paths.get(reportPath), report, UTF_8);
    }
    System.out.println(report);

    Set<String> expected = expectedPasses();
    Set<String> passed =
        outcomes.stream()
            .filter(o -> o.status() == Status.PASS)
            .map(Outcome::program)
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> known =
        outcomes.stream().map(Outcome::program).collect(Collectors.toCollection(TreeSet::new));
    List<String> problems = new ArrayList<>();
    for (String name : expected) {
      if (!known.contains(name)) {
        problems.add(name + ": expected to pass, but the suite has no such program");
      } else if (!passed.contains(name)) {
        Outcome o = outcomes.stream().filter(x -> x.program().equals(name)).findFirst().get();
        problems.add(name + ": passed before, now " + o.status().label + " (" + o.detail() + ")");
      }
    }
    Set<String> newlyPassing = new TreeSet<>(passed);
    newlyPassing.removeAll(expected);
    if (!newlyPassing.isEmpty()) {
      System.out.println("Passing but not yet in expected-passes.txt (add them): " + newlyPassing);
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  /** Every {@code tests/<language>/testsuite/wasm32-wasip1/*.wasm}, sorted by name. */
  static List<Path> programs(Path suite) throws IOException {
    Path tests = suite.resolve("tests");
    assertTrue(Files.isDirectory(tests), "no tests/ directory in " + suite);
    List<Path> programs = new ArrayList<>();
    try (Stream<Path> languages = Files.list(tests)) {
      for (Path language : languages.sorted().toList()) {
        Path dir = language.resolve("testsuite").resolve("wasm32-wasip1");
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (Stream<Path> files = Files.list(dir)) {
          files.filter(p -> p.toString().endsWith(".wasm")).sorted().forEach(programs::add);
        }
      }
    }
    return programs;
  }

  /** The program's name in reports and the expected list: {@code <language>/<name>}. */
  static String name(Path suite, Path program) {
    Path relative = suite.resolve("tests").relativize(program);
    String file = program.getFileName().toString();
    return relative.getName(0) + "/" + file.substring(0, file.length() - ".wasm".length());
  }

  private static Outcome run(WasmEngine engine, Path suite, Path program) throws IOException {
    String name = name(suite, program);
    String base = program.getFileName().toString().replaceFirst("\\.wasm$", "");
    Path specFile = program.resolveSibling(base + ".json");
    SuiteSpec spec =
        Files.exists(specFile) ? SuiteSpec.parse(Files.readString(specFile)) : SuiteSpec.DEFAULT;
    Map<String, byte[]> files =
        spec.root().isPresent() ? tree(program.resolveSibling(spec.root().get())) : Map.of();
    Status failure = NOT_APPLICABLE.containsKey(name) ? Status.NOT_APPLICABLE : Status.FAIL;
    String why = NOT_APPLICABLE.containsKey(name) ? NOT_APPLICABLE.get(name) + "; " : "";
    CommandFunction command;
    try {
      command =
          engine.prepareCommand(
              Files.readAllBytes(program),
              ComponentSpec.builder(base).withFiles(files).withTransientWrites(true).build());
    } catch (InvalidModuleException e) {
      return new Outcome(name, failure, why + "not prepared: " + e.getMessage());
    }
    List<String> argv = new ArrayList<>();
    argv.add(program.getFileName().toString());
    argv.addAll(spec.args());
    CommandFunction.Result result;
    try {
      result = command.run(argv, spec.env(), new byte[0]);
    } catch (GuestException e) {
      return new Outcome(name, failure, why + e.kind() + ": " + e.getMessage());
    }
    List<String> mismatches = new ArrayList<>();
    if (result.exitCode() != spec.exitCode()) {
      mismatches.add("exit code " + result.exitCode() + ", expected " + spec.exitCode());
    }
    if (spec.stdout().isPresent() && !spec.stdout().get().equals(result.stdoutText())) {
      mismatches.add(
          "stdout " + quote(result.stdoutText()) + ", expected " + quote(spec.stdout().get()));
    }
    if (spec.stderr().isPresent() && !spec.stderr().get().equals(result.stderr())) {
      mismatches.add(
          "stderr " + quote(result.stderr()) + ", expected " + quote(spec.stderr().get()));
    }
    if (mismatches.isEmpty()) {
      return new Outcome(name, Status.PASS, "");
    }
    String stderr = result.stderr().strip();
    if (!stderr.isEmpty() && spec.stderr().isEmpty()) {
      mismatches.add("stderr: " + quote(stderr));
    }
    return new Outcome(name, failure, why + String.join("; ", mismatches));
  }

  private static String quote(String s) {
    String oneLine = s.replace("\n", "\\n");
    return "\"" + (oneLine.length() > 300 ? oneLine.substring(0, 300) + "..." : oneLine) + "\"";
  }

  /** Every file below {@code dir}, as the guest sees it under {@code /}; read, never written. */
  static Map<String, byte[]> tree(Path dir) throws IOException {
    assertTrue(Files.isDirectory(dir), "no root directory " + dir);
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
        files.put("/" + dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
      }
    }
    return files;
  }

  /** Paths, sizes and modification times of everything under the suite. */
  private static String fingerprint(Path suite) throws IOException {
    StringBuilder out = new StringBuilder();
    try (Stream<Path> walk = Files.walk(suite)) {
      for (Path p : walk.sorted().toList()) {
        out.append(suite.relativize(p))
            .append(' ')
            .append(Files.isRegularFile(p) ? Files.size(p) : -1)
            .append(' ')
            .append(Files.getLastModifiedTime(p).toMillis())
            .append('\n');
      }
    }
    return out.toString();
  }

  static Set<String> expectedPasses() throws IOException {
    try (InputStream in =
        WasiConformanceTest.class.getResourceAsStream("/wasi-conformance/expected-passes.txt")) {
      if (in == null) {
        throw new AssertionError("no wasi-conformance/expected-passes.txt on the test classpath");
      }
      Set<String> names = new TreeSet<>();
      for (String line : new String(in.readAllBytes(), UTF_8).split("\n")) {
        String trimmed = line.strip();
        if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
          names.add(trimmed);
        }
      }
      return names;
    }
  }

  private static String report(List<Outcome> outcomes) {
    Map<Status, Long> counts =
        outcomes.stream().collect(Collectors.groupingBy(Outcome::status, Collectors.counting()));
    StringBuilder md = new StringBuilder();
    md.append("# WASI conformance\n\n");
    md.append(
        "The preview1 programs of the WebAssembly WASI test suite (C, AssemblyScript and Rust),"
            + " run through the\nsame engine, runner and WASI layer that serve requests (`wasm-host`,"
            + " command mode), as the suite's\nspecification says: the spec's arguments and only its"
            + " environment, stdin empty, its `root`\ndirectory preopened as `/` with transient"
            + " writes on (a fresh in-memory copy per program: the\nsuite's directory is never"
            + " written), then exit code, stdout and stderr checked.\n\n");
    md.append("Produced by `WasiConformanceTest`; regenerate with\n\n```\n");
    md.append(
        "mvn -B -ntp -pl wasm-host test -Pwasi-conformance -Dwasi.testsuite=<path of the suite>\n");
    md.append("```\n\n");
    md.append(
        "`.ci/run` runs it after `./test` and fails when a program listed in\n"
            + "`wasm-host/src/test/resources/wasi-conformance/expected-passes.txt` stops"
            + " passing.\n\n");
    md.append("| result | programs |\n|---|---|\n");
    for (Status s : Status.values()) {
      md.append("| ")
          .append(s.label)
          .append(" | ")
          .append(counts.getOrDefault(s, 0L))
          .append(" |\n");
    }
    md.append("| total | ").append(outcomes.size()).append(" |\n\n");
    md.append("| program | result | why |\n|---|---|---|\n");
    for (Outcome o : outcomes) {
      md.append("| `")
          .append(o.program())
          .append("` | ")
          .append(o.status().label)
          .append(" | ")
          .append(o.detail().replace("|", "\\|").replace("\n", " "))
          .append(" |\n");
    }
    return md.toString();
  }

  static Optional<String> notApplicableReason(String program) {
    return Optional.ofNullable(NOT_APPLICABLE.get(program));
  }
}
