package dev.edgeweave.deploy;

/**
 * A deploy was refused: the bundle, its name, or a {@link ReleaseHook}'s check; the message says
 * why, naming the component where there is one.
 */
public final class DeployRefusedException extends Exception {
  private static final long serialVersionUID = 1L;

  public DeployRefusedException(String message, Throwable cause) {
    super(message, cause);
  }

  public DeployRefusedException(String message) {
    super(message);
  }
}
