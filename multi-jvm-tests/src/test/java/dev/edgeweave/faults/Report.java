package dev.edgeweave.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes each scenario's summary as a row of the table in the repository's FAULTS.md (a row per
 * scenario, replaced by the next run of that scenario), between the table's markers.
 */
final class Report {

  static final String BEGIN = "<!-- fault suite results: rows written by the suite -->";
  static final String END = "<!-- end of fault suite results -->";
  static final String HEADER =
      "| scenario | partitions | operations | acknowledged | lost | errors | error window |"
          + " convergence | anomalies | run | notes |\n"
          + "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|";

  private Report() {}

  static synchronized void record(Summary s) {
    Path file = file();
    try {
      String text =
          Files.exists(file)
              ? Files.readString(file, StandardCharsets.UTF_8)
              : "# Fault injection results\n\n" + BEGIN + "\n" + HEADER + "\n" + END + "\n";
      int begin = text.indexOf(BEGIN);
      int end = text.indexOf(END);
      if (begin < 0 || end < begin) {
        text = text + "\n" + BEGIN + "\n" + HEADER + "\n" + END + "\n";
        begin = text.indexOf(BEGIN);
        end = text.indexOf(END);
      }
      List<String> rows = new ArrayList<>();
      for (String line : text.substring(begin + BEGIN.length(), end).split("\n")) {
        if (line.startsWith("| ") && !line.startsWith("| scenario ")) {
          if (!line.startsWith("| " + s.scenario() + " |")) {
            rows.add(line);
          }
        }
      }
      rows.add(row(s));
      rows.sort(null);
      String table = BEGIN + "\n" + HEADER + "\n" + String.join("\n", rows) + "\n";
      Files.writeString(
          file, text.substring(0, begin) + table + text.substring(end), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  static String row(Summary s) {
    return String.format(
        Locale.ROOT,
        "| %s | %s | %d | %d | %d | %d | %s | %.1f s | %d | %s | %s |",
        s.scenario(),
        s.mode(),
        s.operations(),
        s.acknowledged(),
        s.lost(),
        s.errors(),
        s.window(),
        s.convergenceSeconds(),
        s.anomalies().size(),
        LocalDate.now() + (ScenarioRun.SOAK > 1 ? " soak" : ""),
        s.notes().replace("|", "/"));
  }

  /** FAULTS.md at the repository root, or where {@code -Dfaults.report} says. */
  static Path file() {
    String explicit = System.getProperty("faults.report");
    if (explicit != null && !explicit.isEmpty()) {
      return Path.of(explicit);
    }
    String repository = System.getProperty("edgeweave.repository");
    return Path.of(repository != null ? repository : ".").resolve("FAULTS.md");
  }
}
