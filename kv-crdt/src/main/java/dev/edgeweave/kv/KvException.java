package dev.edgeweave.kv;

/**
 * A KV call that failed, with its {@link Kind}. Stores complete their {@code CompletionStage}s
 * exceptionally with this exception.
 */
public final class KvException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Spin's error kinds ({@code no-such-store}, ...) and the limits beside them. */
  public enum Kind {
    NO_SUCH_STORE("no-such-store"),
    ACCESS_DENIED("access-denied"),
    STORE_TABLE_FULL("store-table-full"),
    OTHER("other"),
    /** The key is longer than {@code max-key-bytes}. */
    KEY_TOO_LARGE("other"),
    /** The value is longer than {@code max-value-bytes}. */
    VALUE_TOO_LARGE("other"),
    /** The app wrote faster than {@code writes-per-second} on this node. */
    RATE_LIMITED("other"),
    /** {@code increment} on a key that holds a value set by {@code set}. */
    NOT_A_COUNTER("other"),
    /**
     * The consistency asked for was not reached in time. A write may still have been applied here
     * and may still spread; retry it (with the same operation id for an increment).
     */
    UNAVAILABLE("other"),
    /**
     * This node could not store the write durably, so it was not acknowledged (it may still be in
     * this node's memory and spread from there, like an {@code UNAVAILABLE} write).
     */
    STORAGE_FAILURE("other");

    private final String spinKind;

    Kind(String spinKind) {
      this.spinKind = spinKind;
    }

    /** The error of Spin's key-value interface this kind maps to. */
    public String spinKind() {
      return spinKind;
    }
  }

  private final Kind kind;

  public KvException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public KvException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** This exception itself, or the KvException a completion stage wrapped. */
  public static KvException unwrap(Throwable t) {
    Throwable c = t;
    while (c != null) {
      if (c instanceof KvException k) {
        return k;
      }
      c = c.getCause();
    }
    return new KvException(Kind.OTHER, String.valueOf(t), t);
  }

  @Override
  public String toString() {
    return "KvException(" + kind + "): " + getMessage();
  }
}
