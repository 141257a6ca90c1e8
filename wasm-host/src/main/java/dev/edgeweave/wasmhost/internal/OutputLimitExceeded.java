package dev.edgeweave.wasmhost.internal;

/** Thrown by {@code fd_write} when stdout would pass its limit; aborts the guest. */
public final class OutputLimitExceeded extends RuntimeException {
  public OutputLimitExceeded(long limit) {
    super("guest wrote more than " + limit + " bytes to stdout", null, false, false);
  }
}
