package dev.edgeweave.kv.internal;

import java.util.Comparator;
import org.apache.pekko.cluster.UniqueAddress;

/**
 * An increment made with an operation id: the node that applied it, when, and by how much. When two
 * nodes applied the same operation id (a retry that reached another node), the smallest claim
 * counts and the other is dropped at merge.
 */
public record Claim(UniqueAddress origin, long hlc, long delta) {

  static final Comparator<Claim> ORDER =
      Comparator.comparingLong(Claim::hlc)
          .thenComparing(Claim::origin, UniqueAddress::compare)
          .thenComparingLong(Claim::delta);

  static Claim winner(Claim a, Claim b) {
    return ORDER.compare(a, b) <= 0 ? a : b;
  }
}
