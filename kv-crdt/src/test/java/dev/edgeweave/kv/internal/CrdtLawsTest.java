package dev.edgeweave.kv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.UniqueAddress;

/**
 * The merge of buckets is a join: commutative, associative and idempotent, on any states built from
 * small domains (so that keys, stamps, nodes and operation ids collide often). States here have no
 * collected tombstones or folded claims; those are covered by {@link ConvergenceTest}, which only
 * collects what every replica has seen.
 */
class CrdtLawsTest {

  static final List<UniqueAddress> NODES = List.of(node("a", 1), node("b", 2), node("c", 3));

  static UniqueAddress node(String host, long uid) {
    return new UniqueAddress(new Address("pekko", "kv", host, 25520), uid);
  }

  @Property(tries = 500)
  void mergeIsCommutative(@ForAll("buckets") KvBucket x, @ForAll("buckets") KvBucket y) {
    assertEquals(x.mergeData(y), y.mergeData(x));
  }

  @Property(tries = 500)
  void mergeIsAssociative(
      @ForAll("buckets") KvBucket x, @ForAll("buckets") KvBucket y, @ForAll("buckets") KvBucket z) {
    assertEquals(x.mergeData(y).mergeData(z), x.mergeData(y.mergeData(z)));
  }

  @Property(tries = 500)
  void mergeIsIdempotent(@ForAll("buckets") KvBucket x, @ForAll("buckets") KvBucket y) {
    assertEquals(x, x.mergeData(x));
    KvBucket xy = x.mergeData(y);
    assertEquals(xy, xy.mergeData(y));
    assertEquals(xy, xy.mergeData(x));
  }

  @Property(tries = 300)
  void serializationKeepsEveryState(@ForAll("buckets") KvBucket x) {
    KvBucket back = KvSerializer.fromProto(KvSerializer.toProto(x));
    assertEquals(x, back);
    assertEquals(KvSerializer.toProto(x), KvSerializer.toProto(back));
  }

  @Property(tries = 300)
  void pruningMovesARemovedNodesCountIntoTheCollapsingNode(@ForAll("buckets") KvBucket x) {
    UniqueAddress removed = NODES.get(2);
    UniqueAddress into = NODES.get(0);
    KvBucket pruned = (KvBucket) x.prune(removed, into);
    x.entries()
        .forEach(
            (k, e) -> {
              KvEntry p = pruned.entries().get(k);
              assertEquals(e.counter().value(), p.counter().value(), k);
              assertEquals(false, p.counter().nodes().contains(removed), k);
            });
    assertEquals(false, pruned.needPruningFrom(removed));
  }

  @Provide
  Arbitrary<KvBucket> buckets() {
    return Arbitraries.maps(Arbitraries.of("k1", "k2", "k3", "k4"), entries())
        .ofMaxSize(4)
        .map(m -> KvBucket.of(m, 0));
  }

  static Arbitrary<KvEntry> entries() {
    Arbitrary<Stamp> stamps =
        Combinators.combine(Arbitraries.longs().between(0, 4), Arbitraries.longs().between(1, 3))
            .as(Stamp::new);
    Arbitrary<byte[]> values =
        Arbitraries.of("", "x", "y", "zz").map(String::getBytes).injectNull(0.4);
    return Combinators.combine(stamps, values, counters()).as(KvEntry::new);
  }

  static Arbitrary<CounterState> counters() {
    Arbitrary<Map<UniqueAddress, Slot>> slots =
        Arbitraries.maps(
                Arbitraries.of(NODES),
                Combinators.combine(
                        Arbitraries.longs().between(0, 5), Arbitraries.longs().between(0, 5))
                    .as(Slot::new))
            .ofMaxSize(3);
    Arbitrary<Map<String, Claim>> claims =
        Arbitraries.maps(
                Arbitraries.of("op1", "op2", "op3"),
                Combinators.combine(
                        Arbitraries.of(NODES),
                        Arbitraries.longs().between(0, 4),
                        Arbitraries.longs().between(-3, 3))
                    .as(Claim::new))
            .ofMaxSize(3);
    return Combinators.combine(slots, claims).as((s, c) -> CounterState.of(s, c, new HashMap<>()));
  }
}
