package dev.edgeweave.kv.internal;

import org.apache.pekko.cluster.ddata.Key;

/** The Distributed Data key of one bucket: {@code kv/<store id>/<bucket>}. */
public final class BucketKey extends Key<KvBucket> {

  private static final long serialVersionUID = 1L;

  public BucketKey(String id) {
    super(id);
  }
}
