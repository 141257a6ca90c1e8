package dev.edgeweave.kv.internal;

import static dev.edgeweave.kv.internal.Gens.longs;
import static dev.edgeweave.kv.internal.Gens.maps;
import static dev.edgeweave.kv.internal.Gens.oneOf;
import static dev.edgeweave.kv.internal.Gens.orNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.UniqueAddress;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

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

  @Test
  void mergeIsCommutative() {
    qt().withExamples(500)
        .forAll(buckets(), buckets())
        .checkAssert((x, y) -> assertEquals(x.mergeData(y), y.mergeData(x)));
  }

  @Test
  void mergeIsAssociative() {
    qt().withExamples(500)
        .forAll(buckets(), buckets(), buckets())
        .checkAssert(
            (x, y, z) -> assertEquals(x.mergeData(y).mergeData(z), x.mergeData(y.mergeData(z))));
  }

  @Test
  void mergeIsIdempotent() {
    qt().withExamples(500)
        .forAll(buckets(), buckets())
        .checkAssert(
            (x, y) -> {
              assertEquals(x, x.mergeData(x));
              KvBucket xy = x.mergeData(y);
              assertEquals(xy, xy.mergeData(y));
              assertEquals(xy, xy.mergeData(x));
            });
  }

  @Test
  void serializationKeepsEveryState() {
    qt().withExamples(300)
        .forAll(buckets())
        .checkAssert(
            x -> {
              KvBucket back = KvSerializer.fromProto(KvSerializer.toProto(x));
              assertEquals(x, back);
              assertEquals(KvSerializer.toProto(x), KvSerializer.toProto(back));
            });
  }

  @Test
  void pruningMovesARemovedNodesCountIntoTheCollapsingNode() {
    UniqueAddress removed = NODES.get(2);
    UniqueAddress into = NODES.get(0);
    qt().withExamples(300)
        .forAll(buckets())
        .checkAssert(
            x -> {
              KvBucket pruned = (KvBucket) x.prune(removed, into);
              x.entries()
                  .forEach(
                      (k, e) -> {
                        KvEntry p = pruned.entries().get(k);
                        assertEquals(e.counter().value(), p.counter().value(), k);
                        assertEquals(false, p.counter().nodes().contains(removed), k);
                      });
              assertEquals(false, pruned.needPruningFrom(removed));
            });
  }

  static Gen<KvBucket> buckets() {
    return maps(oneOf("k1", "k2", "k3", "k4"), entries(), 4).map(m -> KvBucket.of(m, 0));
  }

  /** Two large values, held outside the bucket by reference. */
  static final List<BlobRef> BLOBS =
      List.of(
          BlobRef.of(new byte[] {1, 2, 3}), BlobRef.of("large".getBytes(StandardCharsets.UTF_8)));

  static Gen<KvEntry> entries() {
    Gen<Stamp> stamps = longs(0, 4).zip(longs(1, 3), Stamp::new);
    // Nothing, an inline value or a large one: equal stamps with different content collide often.
    Gen<Object> contents =
        orNull(Gens.oneOf(List.<Object>of("", "x", "y", "zz", BLOBS.get(0), BLOBS.get(1))), 30);
    return stamps.zip(
        contents,
        counters(),
        (stamp, content, counter) ->
            content instanceof BlobRef ref
                ? new KvEntry(stamp, null, ref, counter)
                : new KvEntry(
                    stamp,
                    content == null ? null : ((String) content).getBytes(StandardCharsets.UTF_8),
                    counter));
  }

  static Gen<CounterState> counters() {
    Gen<UniqueAddress> nodes = Gens.oneOf(NODES);
    Gen<Map<UniqueAddress, Slot>> slots = maps(nodes, longs(0, 5).zip(longs(0, 5), Slot::new), 3);
    Gen<Map<String, Claim>> claims =
        maps(oneOf("op1", "op2", "op3"), nodes.zip(longs(0, 4), longs(-3, 3), Claim::new), 3);
    return slots.zip(claims, (s, c) -> CounterState.of(s, c, new HashMap<>()));
  }
}
