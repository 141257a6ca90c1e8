package dev.edgeweave.kv.internal;

/** One node's share of a counter: what it added and what it subtracted, both only growing. */
public record Slot(long up, long down) {

  static final Slot ZERO = new Slot(0, 0);

  public Slot {
    if (up < 0 || down < 0) {
      throw new IllegalArgumentException("slot parts are never negative: " + up + ", " + down);
    }
  }

  Slot max(Slot o) {
    return new Slot(Math.max(up, o.up), Math.max(down, o.down));
  }

  Slot plus(long delta) {
    return delta >= 0
        ? new Slot(Math.addExact(up, delta), down)
        : new Slot(up, Math.addExact(down, Math.negateExact(delta)));
  }

  Slot plus(Slot o) {
    return new Slot(Math.addExact(up, o.up), Math.addExact(down, o.down));
  }

  long value() {
    return up - down;
  }
}
