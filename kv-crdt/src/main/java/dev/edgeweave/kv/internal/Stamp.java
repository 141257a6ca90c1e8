package dev.edgeweave.kv.internal;

/**
 * Last-writer-wins stamp of a set or delete: a hybrid logical clock reading, then the writer's node
 * uid to order two writes with the same reading.
 */
public record Stamp(long hlc, long writer) implements Comparable<Stamp> {

  /** Before every write: the stamp of a key that was never set or deleted. */
  public static final Stamp ZERO = new Stamp(0, 0);

  @Override
  public int compareTo(Stamp o) {
    int c = Long.compare(hlc, o.hlc);
    return c != 0 ? c : Long.compare(writer, o.writer);
  }
}
