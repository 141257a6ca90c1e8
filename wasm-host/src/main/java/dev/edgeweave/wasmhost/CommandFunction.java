package dev.edgeweave.wasmhost;

import dev.edgeweave.wasmhost.internal.FileTree;
import dev.edgeweave.wasmhost.internal.GuestRunner;
import dev.edgeweave.wasmhost.internal.WasiContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a wasm32-wasi program as a command, the way a WASI command-line host does: given argv, an
 * environment and stdin, with the component's files preopened as {@code /}, it returns the exit
 * code and what the program wrote. The same engine, runner and WASI layer serve WAGI requests; this
 * mode exists to run programs such as the WASI test suite. Created by {@link
 * WasmEngine#prepareCommand}; thread-safe.
 */
public final class CommandFunction {
  /** What a command did: its exit code, stdout, and the tail of its stderr. */
  public record Result(int exitCode, byte[] stdout, String stderr) {
    public Result {
      Objects.requireNonNull(stdout, "stdout");
      Objects.requireNonNull(stderr, "stderr");
    }

    public String stdoutText() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  private final ComponentSpec spec;
  private final FileTree files;
  private final GuestRunner runner;
  private final int maxStderrBytes;

  CommandFunction(ComponentSpec spec, GuestRunner runner, int maxStderrBytes) {
    this.spec = spec;
    this.files = FileTree.of(spec.files());
    this.runner = runner;
    this.maxStderrBytes = maxStderrBytes;
  }

  /**
   * Runs the program once in a fresh instance; fails with a {@link GuestException} only if it did
   * not exit (trap, timeout, a limit), never for a non-zero exit code.
   */
  public Result run(List<String> args, Map<String, String> environment, byte[] stdin)
      throws GuestException {
    List<String> argv = List.copyOf(args);
    List<String> env = new ArrayList<>();
    environment.forEach((k, v) -> env.add(k + "=" + v));
    WasiContext context =
        new WasiContext(
            () -> argv,
            () -> env,
            stdin.clone(),
            spec.limits().maxStdoutBytes(),
            maxStderrBytes,
            files,
            spec.transientWrites(),
            spec.limits().maxTransientWriteBytes());
    context.withCapabilities(spec.capabilities());
    int exitCode = runner.runToExit(context);
    return new Result(exitCode, context.stdout(), context.stderrTail(maxStderrBytes));
  }

  /** The component this command runs. */
  public ComponentSpec spec() {
    return spec;
  }
}
