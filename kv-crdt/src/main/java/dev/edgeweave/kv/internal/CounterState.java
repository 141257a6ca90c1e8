package dev.edgeweave.kv.internal;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.cluster.UniqueAddress;

/**
 * A counter that loses no increment made concurrently on several nodes and counts a retried
 * operation id once.
 *
 * <p>Increments without an id go to the node's own {@link Slot} (a PN-counter). Increments with an
 * id are kept as {@link Claim}s keyed by the id, so the same id applied on two nodes merges into
 * one. The node that applied a claim later folds it into its own slot (after the retention window,
 * or when it holds too many) and raises its fold mark; a merge drops every claim of that node at or
 * below the mark, so a folded claim is never counted twice. Immutable.
 */
public final class CounterState {

  public static final CounterState EMPTY =
      new CounterState(
          Collections.emptySortedMap(), Collections.emptySortedMap(), Collections.emptySortedMap());

  private final SortedMap<UniqueAddress, Slot> slots;
  private final SortedMap<String, Claim> claims;
  private final SortedMap<UniqueAddress, Long> folds;

  CounterState(
      SortedMap<UniqueAddress, Slot> slots,
      SortedMap<String, Claim> claims,
      SortedMap<UniqueAddress, Long> folds) {
    this.slots = slots;
    this.claims = claims;
    this.folds = folds;
  }

  public static CounterState of(
      Map<UniqueAddress, Slot> slots, Map<String, Claim> claims, Map<UniqueAddress, Long> folds) {
    CounterState raw =
        new CounterState(
            Collections.unmodifiableSortedMap(new TreeMap<>(slots)),
            Collections.unmodifiableSortedMap(new TreeMap<>(claims)),
            Collections.unmodifiableSortedMap(new TreeMap<>(folds)));
    return raw.merge(EMPTY);
  }

  public SortedMap<UniqueAddress, Slot> slots() {
    return slots;
  }

  public SortedMap<String, Claim> claims() {
    return claims;
  }

  public SortedMap<UniqueAddress, Long> folds() {
    return folds;
  }

  /** No increment was ever made in this epoch (fold marks alone count as nothing). */
  public boolean isEmpty() {
    return slots.isEmpty() && claims.isEmpty();
  }

  public long value() {
    long sum = 0;
    for (Slot s : slots.values()) {
      sum += s.value();
    }
    for (Claim c : claims.values()) {
      sum += c.delta();
    }
    return sum;
  }

  public boolean hasClaim(String opId) {
    return claims.containsKey(opId);
  }

  private boolean folded(Claim c) {
    Long mark = folds.get(c.origin());
    return mark != null && c.hlc() <= mark;
  }

  /** Join: slots and fold marks by maximum, claims by the smallest claim per id not folded. */
  public CounterState merge(CounterState other) {
    if (other == this) {
      return this;
    }
    TreeMap<UniqueAddress, Long> f = new TreeMap<>(folds);
    other.folds.forEach((n, h) -> f.merge(n, h, Math::max));
    TreeMap<UniqueAddress, Slot> s = new TreeMap<>(slots);
    other.slots.forEach((n, v) -> s.merge(n, v, Slot::max));
    TreeMap<String, Claim> c = new TreeMap<>();
    CounterState marks = new CounterState(s, c, f);
    for (Map.Entry<String, Claim> e : claims.entrySet()) {
      if (!marks.folded(e.getValue())) {
        c.put(e.getKey(), e.getValue());
      }
    }
    for (Map.Entry<String, Claim> e : other.claims.entrySet()) {
      if (!marks.folded(e.getValue())) {
        c.merge(e.getKey(), e.getValue(), Claim::winner);
      }
    }
    return wrap(s, c, f);
  }

  /** Adds to this node's own slot. */
  public CounterState add(UniqueAddress self, long delta) {
    TreeMap<UniqueAddress, Slot> s = new TreeMap<>(slots);
    s.put(self, s.getOrDefault(self, Slot.ZERO).plus(delta));
    return wrap(s, claims, folds);
  }

  /** Records an increment with an operation id; the caller checks {@link #hasClaim} first. */
  public CounterState claim(String opId, Claim claim) {
    TreeMap<String, Claim> c = new TreeMap<>(claims);
    c.merge(opId, claim, Claim::winner);
    return wrap(slots, c, folds);
  }

  /**
   * Folds this node's claims into its slot: every claim made at or before {@code horizon}, and the
   * oldest ones beyond {@code maxClaims}. Only the node that made a claim folds it, so it knows
   * every claim it folds.
   */
  public CounterState foldOwn(UniqueAddress self, long horizon, int maxClaims) {
    TreeSet<Long> own = new TreeSet<>();
    for (Claim c : claims.values()) {
      if (c.origin().equals(self)) {
        own.add(c.hlc());
      }
    }
    if (own.isEmpty()) {
      return this;
    }
    long mark = Long.MIN_VALUE;
    Long old = own.floor(horizon);
    if (old != null) {
      mark = old;
    }
    int excess = own.size() - maxClaims;
    if (excess > 0) {
      long nth = own.stream().skip(excess - 1L).findFirst().orElseThrow();
      mark = Math.max(mark, nth);
    }
    if (mark == Long.MIN_VALUE) {
      return this;
    }
    TreeMap<String, Claim> c = new TreeMap<>();
    Slot slot = slots.getOrDefault(self, Slot.ZERO);
    for (Map.Entry<String, Claim> e : claims.entrySet()) {
      Claim claim = e.getValue();
      if (claim.origin().equals(self) && claim.hlc() <= mark) {
        slot = slot.plus(claim.delta());
      } else {
        c.put(e.getKey(), claim);
      }
    }
    TreeMap<UniqueAddress, Slot> s = new TreeMap<>(slots);
    s.put(self, slot);
    TreeMap<UniqueAddress, Long> f = new TreeMap<>(folds);
    f.merge(self, mark, Math::max);
    return wrap(s, c, f);
  }

  /** Nodes this counter holds state of (for pruning removed nodes). */
  public Set<UniqueAddress> nodes() {
    TreeSet<UniqueAddress> n = new TreeSet<>(slots.keySet());
    n.addAll(folds.keySet());
    claims.values().forEach(c -> n.add(c.origin()));
    return n;
  }

  /** Moves what {@code removed} counted into {@code into}'s slot. */
  public CounterState prune(UniqueAddress removed, UniqueAddress into) {
    Slot moved = slots.getOrDefault(removed, Slot.ZERO);
    TreeMap<String, Claim> c = new TreeMap<>();
    for (Map.Entry<String, Claim> e : claims.entrySet()) {
      if (e.getValue().origin().equals(removed)) {
        moved = moved.plus(e.getValue().delta());
      } else {
        c.put(e.getKey(), e.getValue());
      }
    }
    TreeMap<UniqueAddress, Slot> s = new TreeMap<>(slots);
    s.remove(removed);
    if (!moved.equals(Slot.ZERO) || s.containsKey(into)) {
      s.put(into, s.getOrDefault(into, Slot.ZERO).plus(moved));
    }
    TreeMap<UniqueAddress, Long> f = new TreeMap<>(folds);
    f.remove(removed);
    return wrap(s, c, f);
  }

  /** Drops whatever is left of {@code removed} after it was pruned. */
  public CounterState pruningCleanup(UniqueAddress removed) {
    TreeMap<UniqueAddress, Slot> s = new TreeMap<>(slots);
    s.remove(removed);
    TreeMap<String, Claim> c = new TreeMap<>(claims);
    c.values().removeIf(claim -> claim.origin().equals(removed));
    TreeMap<UniqueAddress, Long> f = new TreeMap<>(folds);
    f.remove(removed);
    return wrap(s, c, f);
  }

  /** Rough serialized size, for bucket limits. */
  int estimatedBytes() {
    int n = slots.size() * 24 + folds.size() * 16;
    for (Map.Entry<String, Claim> e : claims.entrySet()) {
      n += e.getKey().length() + 28;
    }
    return n;
  }

  private static CounterState wrap(
      SortedMap<UniqueAddress, Slot> s,
      SortedMap<String, Claim> c,
      SortedMap<UniqueAddress, Long> f) {
    if (s.isEmpty() && c.isEmpty() && f.isEmpty()) {
      return EMPTY;
    }
    return new CounterState(
        Collections.unmodifiableSortedMap(s),
        Collections.unmodifiableSortedMap(c),
        Collections.unmodifiableSortedMap(f));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CounterState other
        && slots.equals(other.slots)
        && claims.equals(other.claims)
        && folds.equals(other.folds);
  }

  @Override
  public int hashCode() {
    return slots.hashCode() * 31 * 31 + claims.hashCode() * 31 + folds.hashCode();
  }

  @Override
  public String toString() {
    return "Counter(slots=" + slots + ", claims=" + claims + ", folds=" + folds + ")";
  }
}
