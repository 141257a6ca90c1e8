package dev.edgeweave.kv.internal;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.ddata.AbstractDeltaReplicatedData;
import org.apache.pekko.cluster.ddata.DeltaReplicatedData;
import org.apache.pekko.cluster.ddata.RemovedNodePruning;
import org.apache.pekko.cluster.ddata.ReplicatedData;
import org.apache.pekko.cluster.ddata.ReplicatedDelta;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One bucket of a store: the keys that hash to it, each a {@link KvEntry}. This is the unit that
 * Distributed Data replicates and stores (one top-level entry per written bucket).
 *
 * <p>Merge is per key ({@link KvEntry#merge}). Deleted keys stay as tombstones until the bucket's
 * horizon passes them: a node raises the horizon when it writes to the bucket, and every merge
 * drops the tombstones below the greater horizon. A delta is a bucket holding only the entries one
 * update touched, so replication sends the changed keys, not the whole bucket. Immutable.
 */
public final class KvBucket extends AbstractDeltaReplicatedData<KvBucket, KvBucket>
    implements ReplicatedDelta, RemovedNodePruning {

  public static final KvBucket EMPTY = new KvBucket(Collections.emptySortedMap(), 0, null);

  private final SortedMap<String, KvEntry> entries;
  private final long horizon;
  private final KvBucket delta;
  private int estimatedBytes = -1;

  private KvBucket(SortedMap<String, KvEntry> entries, long horizon, KvBucket delta) {
    this.entries = entries;
    this.horizon = horizon;
    this.delta = delta;
  }

  /** A bucket of these entries; tombstones below the horizon are dropped. */
  public static KvBucket of(Map<String, KvEntry> entries, long horizon) {
    TreeMap<String, KvEntry> m = new TreeMap<>(entries);
    m.values().removeIf(e -> e.collectible(horizon));
    return new KvBucket(Collections.unmodifiableSortedMap(m), horizon, null);
  }

  public SortedMap<String, KvEntry> entries() {
    return entries;
  }

  public long horizon() {
    return horizon;
  }

  public Optional<KvEntry> entry(String key) {
    return Optional.ofNullable(entries.get(key));
  }

  /**
   * Replaces one key's entry (the caller has merged or superseded the old one). A tombstone below
   * the horizon is not kept, as a merge would drop it too.
   */
  public KvBucket put(String key, KvEntry entry) {
    TreeMap<String, KvEntry> m = new TreeMap<>(entries);
    m.put(key, entry);
    m.values().removeIf(e -> e.collectible(horizon));
    KvBucket change =
        new KvBucket(
            Collections.unmodifiableSortedMap(new TreeMap<>(Map.of(key, entry))), horizon, null);
    return new KvBucket(
        Collections.unmodifiableSortedMap(m),
        horizon,
        delta == null ? change : delta.mergeData(change));
  }

  /** Raises the horizon and drops the tombstones below it. */
  public KvBucket collect(long newHorizon) {
    if (newHorizon <= horizon) {
      return this;
    }
    TreeMap<String, KvEntry> m = new TreeMap<>(entries);
    m.values().removeIf(e -> e.collectible(newHorizon));
    KvBucket change = new KvBucket(Collections.emptySortedMap(), newHorizon, null);
    return new KvBucket(
        Collections.unmodifiableSortedMap(m),
        newHorizon,
        delta == null ? change : delta.mergeData(change));
  }

  /** Whether any tombstone would go if the horizon moved to {@code newHorizon}. */
  public boolean hasCollectible(long newHorizon) {
    if (newHorizon <= horizon) {
      return false;
    }
    for (KvEntry e : entries.values()) {
      if (e.collectible(newHorizon)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public KvBucket mergeData(KvBucket other) {
    if (other == this || other.entries.isEmpty() && other.horizon <= horizon) {
      return other == this ? this : withoutDelta();
    }
    long h = Math.max(horizon, other.horizon);
    TreeMap<String, KvEntry> m = new TreeMap<>(entries);
    other.entries.forEach((k, e) -> m.merge(k, e, KvEntry::merge));
    m.values().removeIf(e -> e.collectible(h));
    return new KvBucket(Collections.unmodifiableSortedMap(m), h, null);
  }

  private KvBucket withoutDelta() {
    return delta == null ? this : new KvBucket(entries, horizon, null);
  }

  @Override
  public KvBucket mergeDeltaData(KvBucket d) {
    return mergeData(d);
  }

  @Override
  public Optional<KvBucket> deltaData() {
    return Optional.ofNullable(delta);
  }

  @Override
  public KvBucket resetDelta() {
    return withoutDelta();
  }

  @Override
  public DeltaReplicatedData zero() {
    return EMPTY;
  }

  @Override
  public scala.collection.immutable.Set<UniqueAddress> modifiedByNodes() {
    TreeSet<UniqueAddress> nodes = new TreeSet<>();
    for (KvEntry e : entries.values()) {
      nodes.addAll(e.counter().nodes());
    }
    return CollectionConverters.asScala(nodes).toSet();
  }

  @Override
  public boolean needPruningFrom(UniqueAddress removed) {
    for (KvEntry e : entries.values()) {
      if (e.counter().nodes().contains(removed)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public ReplicatedData prune(UniqueAddress removed, UniqueAddress collapseInto) {
    TreeMap<String, KvEntry> m = new TreeMap<>(entries);
    m.replaceAll((k, e) -> e.withCounter(e.counter().prune(removed, collapseInto)));
    return new KvBucket(Collections.unmodifiableSortedMap(m), horizon, null);
  }

  @Override
  public ReplicatedData pruningCleanup(UniqueAddress removed) {
    TreeMap<String, KvEntry> m = new TreeMap<>(entries);
    m.replaceAll((k, e) -> e.withCounter(e.counter().pruningCleanup(removed)));
    m.values().removeIf(e -> e.collectible(horizon));
    return new KvBucket(Collections.unmodifiableSortedMap(m), horizon, null);
  }

  /** Rough serialized size, checked against the bucket limit. */
  public int estimatedBytes() {
    int n = estimatedBytes;
    if (n < 0) {
      n = 16;
      for (Map.Entry<String, KvEntry> e : entries.entrySet()) {
        n += e.getValue().estimatedBytes(e.getKey());
      }
      estimatedBytes = n;
    }
    return n;
  }

  /** Bytes of the large values this bucket names, held outside it (for the app's size). */
  public long blobBytes() {
    long n = 0;
    for (KvEntry e : entries.values()) {
      n += e.blobBytes();
    }
    return n;
  }

  /** The large values this bucket names. */
  public java.util.Set<BlobRef> blobs() {
    java.util.Set<BlobRef> refs = new java.util.HashSet<>();
    for (KvEntry e : entries.values()) {
      if (e.blob() != null) {
        refs.add(e.blob());
      }
    }
    return refs;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KvBucket b && horizon == b.horizon && entries.equals(b.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode() * 31 + Long.hashCode(horizon);
  }

  @Override
  public String toString() {
    return "KvBucket(horizon=" + horizon + ", " + entries + ")";
  }
}
