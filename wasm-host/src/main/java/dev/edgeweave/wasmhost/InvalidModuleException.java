package dev.edgeweave.wasmhost;

/** A module that cannot be prepared: malformed, invalid, or needing imports the host lacks. */
public final class InvalidModuleException extends Exception {
  public InvalidModuleException(String message) {
    super(message);
  }

  public InvalidModuleException(String message, Throwable cause) {
    super(message, cause);
  }
}
