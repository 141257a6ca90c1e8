package dev.edgeweave.kv.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgeweave.kv.proto.BlobAck;
import dev.edgeweave.kv.proto.BlobData;
import dev.edgeweave.kv.proto.BlobGet;
import dev.edgeweave.kv.proto.BlobPut;
import dev.edgeweave.kv.proto.Bucket;
import dev.edgeweave.kv.proto.CounterClaim;
import dev.edgeweave.kv.proto.CounterSlot;
import dev.edgeweave.kv.proto.Entry;
import dev.edgeweave.kv.proto.FoldMark;
import dev.edgeweave.kv.proto.NodeAddress;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Protobuf serializer of the KV's replicated data ({@link KvBucket}) and its key ({@link
 * BucketKey}): what travels between nodes and what the durable store keeps; and of the messages
 * that carry large values between nodes ({@link BlobEndpoint}). Output is deterministic (sorted
 * entries and nodes), since Distributed Data compares replicas by the digest of these bytes.
 */
public final class KvSerializer extends SerializerWithStringManifest {

  /** Serializer id; Pekko reserves 0-40 for itself. */
  public static final int IDENTIFIER = 7310;

  static final String BUCKET = "B";
  static final String KEY = "K";
  static final String BLOB_PUT = "BP";
  static final String BLOB_ACK = "BA";
  static final String BLOB_GET = "BG";
  static final String BLOB_DATA = "BD";

  public KvSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof KvBucket) {
      return BUCKET;
    }
    if (o instanceof BucketKey) {
      return KEY;
    }
    if (o instanceof BlobPut) {
      return BLOB_PUT;
    }
    if (o instanceof BlobAck) {
      return BLOB_ACK;
    }
    if (o instanceof BlobGet) {
      return BLOB_GET;
    }
    if (o instanceof BlobData) {
      return BLOB_DATA;
    }
    throw new IllegalArgumentException("not a KV type: " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof KvBucket b) {
      return toProto(b).toByteArray();
    }
    if (o instanceof BucketKey k) {
      return dev.edgeweave.kv.proto.BucketKey.newBuilder().setId(k.id()).build().toByteArray();
    }
    if (o instanceof com.google.protobuf.MessageLite m) {
      manifest(o); // only the blob messages
      return m.toByteArray();
    }
    throw new IllegalArgumentException("not a KV type: " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case BUCKET -> fromProto(Bucket.parseFrom(bytes));
        case KEY -> new BucketKey(dev.edgeweave.kv.proto.BucketKey.parseFrom(bytes).getId());
        case BLOB_PUT -> BlobPut.parseFrom(bytes);
        case BLOB_ACK -> BlobAck.parseFrom(bytes);
        case BLOB_GET -> BlobGet.parseFrom(bytes);
        case BLOB_DATA -> BlobData.parseFrom(bytes);
        default -> throw new NotSerializableException("unknown KV manifest: " + manifest);
      };
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("corrupt KV " + manifest + ": " + e.getMessage(), e);
    }
  }

  /** The Protobuf form of a bucket. */
  public static Bucket toProto(KvBucket bucket) {
    TreeSet<UniqueAddress> nodes = new TreeSet<>();
    for (KvEntry e : bucket.entries().values()) {
      nodes.addAll(e.counter().nodes());
    }
    Map<UniqueAddress, Integer> index = new HashMap<>();
    Bucket.Builder b = Bucket.newBuilder().setHorizon(bucket.horizon());
    for (UniqueAddress n : nodes) {
      index.put(n, index.size());
      Address a = n.address();
      b.addNodes(
          NodeAddress.newBuilder()
              .setProtocol(a.protocol())
              .setSystem(a.system())
              .setHostname(a.host().getOrElse(() -> ""))
              .setPort(a.port().getOrElse(() -> 0))
              .setUid(n.longUid()));
    }
    for (Map.Entry<String, KvEntry> me : bucket.entries().entrySet()) {
      KvEntry e = me.getValue();
      Entry.Builder eb =
          Entry.newBuilder()
              .setKey(me.getKey())
              .setHlc(e.stamp().hlc())
              .setWriter(e.stamp().writer());
      if (e.rawValue() != null) {
        eb.setHasValue(true).setValue(ByteString.copyFrom(e.rawValue()));
      }
      if (e.blob() != null) {
        eb.setBlobDigest(ByteString.copyFrom(e.blob().digest())).setBlobLength(e.blob().length());
      }
      CounterState c = e.counter();
      c.slots()
          .forEach(
              (n, s) ->
                  eb.addSlots(
                      CounterSlot.newBuilder()
                          .setNode(index.get(n))
                          .setUp(s.up())
                          .setDown(s.down())));
      c.claims()
          .forEach(
              (id, cl) ->
                  eb.addClaims(
                      CounterClaim.newBuilder()
                          .setOpId(id)
                          .setOrigin(index.get(cl.origin()))
                          .setHlc(cl.hlc())
                          .setDelta(cl.delta())));
      c.folds()
          .forEach((n, h) -> eb.addFolds(FoldMark.newBuilder().setNode(index.get(n)).setHlc(h)));
      b.addEntries(eb);
    }
    return b.build();
  }

  /** A bucket from its Protobuf form. */
  public static KvBucket fromProto(Bucket p) {
    List<UniqueAddress> nodes = new ArrayList<>(p.getNodesCount());
    for (NodeAddress n : p.getNodesList()) {
      Address a =
          n.getHostname().isEmpty()
              ? new Address(n.getProtocol(), n.getSystem())
              : new Address(n.getProtocol(), n.getSystem(), n.getHostname(), n.getPort());
      nodes.add(new UniqueAddress(a, n.getUid()));
    }
    TreeMap<String, KvEntry> entries = new TreeMap<>();
    for (Entry e : p.getEntriesList()) {
      Map<UniqueAddress, Slot> slots = new HashMap<>();
      for (CounterSlot s : e.getSlotsList()) {
        slots.put(node(nodes, s.getNode()), new Slot(s.getUp(), s.getDown()));
      }
      Map<String, Claim> claims = new HashMap<>();
      for (CounterClaim c : e.getClaimsList()) {
        claims.put(c.getOpId(), new Claim(node(nodes, c.getOrigin()), c.getHlc(), c.getDelta()));
      }
      Map<UniqueAddress, Long> folds = new HashMap<>();
      for (FoldMark f : e.getFoldsList()) {
        folds.put(node(nodes, f.getNode()), f.getHlc());
      }
      BlobRef blob =
          e.getBlobDigest().isEmpty()
              ? null
              : new BlobRef(e.getBlobDigest().toByteArray(), e.getBlobLength());
      if (blob != null && e.getHasValue()) {
        throw new IllegalArgumentException("corrupt KV bucket: a value both inline and a blob");
      }
      entries.put(
          e.getKey(),
          new KvEntry(
              new Stamp(e.getHlc(), e.getWriter()),
              e.getHasValue() ? e.getValue().toByteArray() : null,
              blob,
              CounterState.of(slots, claims, folds)));
    }
    return KvBucket.of(entries, p.getHorizon());
  }

  private static UniqueAddress node(List<UniqueAddress> nodes, int index) {
    if (index < 0 || index >= nodes.size()) {
      throw new IllegalArgumentException("corrupt KV bucket: node index " + index);
    }
    return nodes.get(index);
  }
}
