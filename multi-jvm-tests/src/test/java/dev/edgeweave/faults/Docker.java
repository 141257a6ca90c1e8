package dev.edgeweave.faults;

import java.util.ArrayList;
import java.util.List;

/** Runs the docker CLI. */
final class Docker {

  record Result(int exit, String output) {}

  private Docker() {}

  static Result run(String... args) {
    List<String> command = new ArrayList<>();
    command.add("docker");
    command.addAll(List.of(args));
    NetNamespaces.Result r = NetNamespaces.run(command);
    return new Result(r.exit(), r.output());
  }

  static void must(String... args) {
    Result r = run(args);
    if (r.exit() != 0) {
      throw new IllegalStateException("docker " + String.join(" ", args) + ": " + r.output());
    }
  }
}
