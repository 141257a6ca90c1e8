package dev.edgeweave.wasmhost.internal;

/** Thrown by {@code proc_exit} to unwind the guest; carries the exit code. */
public final class ProcExit extends RuntimeException {
  private final int code;

  public ProcExit(int code) {
    // No stack trace: this is control flow, thrown on every exit(0).
    super("guest exited with code " + code, null, false, false);
    this.code = code;
  }

  public int code() {
    return code;
  }
}
