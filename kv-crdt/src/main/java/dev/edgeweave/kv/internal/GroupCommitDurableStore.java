package dev.edgeweave.kv.internal;

import com.typesafe.config.Config;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.cluster.ddata.DurableStore;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Distributed Data's durable store in LMDB with group commit: every {@code Store} that arrives
 * while a commit is on its way is written in the next transaction, and each is acknowledged only
 * after the transaction that holds it committed. Pekko's {@code LmdbDurableStore} commits once per
 * write (durable but bound by one disk flush per write) or acknowledges before writing (its
 * write-behind mode, which may lose acknowledged writes in a crash); this keeps the first promise
 * at the throughput of the second. Same file layout as {@code LmdbDurableStore}.
 */
public final class GroupCommitDurableStore extends AbstractActor {

  /** Sent to itself only, never across nodes. */
  private enum Flush implements NoSerializationVerificationNeeded {
    INSTANCE
  }

  private record Pending(
      DurableStore.DurableDataEnvelope data, List<DurableStore.StoreReply> replies) {}

  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
  private final Config config;
  private final Serializer serializer;
  private final String manifest;
  private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();
  private Env<ByteBuffer> env;
  private Dbi<ByteBuffer> db;
  private ByteBuffer keyBuffer;
  private ByteBuffer valueBuffer;

  public GroupCommitDurableStore(Config config) {
    this.config = config;
    DurableStore.DurableDataEnvelope sample = new DurableStore.DurableDataEnvelope(KvBucket.EMPTY);
    this.serializer =
        SerializationExtension.get(getContext().getSystem()).findSerializerFor(sample);
    this.manifest = Serializers.manifestFor(serializer, sample);
  }

  private File dir() {
    return new File(config.getString("lmdb.dir"));
  }

  private void open() {
    if (env != null) {
      return;
    }
    File dir = dir();
    dir.mkdirs();
    env =
        Env.create()
            .setMapSize(config.getBytes("lmdb.map-size"))
            .setMaxDbs(1)
            .open(dir, EnvFlags.MDB_NOLOCK);
    db = env.openDbi("ddata", DbiFlags.MDB_CREATE);
    keyBuffer = ByteBuffer.allocateDirect(env.getMaxKeySize());
    valueBuffer = ByteBuffer.allocateDirect(256 * 1024);
  }

  @Override
  public void postRestart(Throwable reason) throws Exception {
    super.postRestart(reason);
    // Data is loaded on the first start only.
    getContext().become(active());
  }

  @Override
  public void postStop() {
    flush();
    if (env != null) {
      db.close();
      env.close();
    }
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .matchEquals(
            DurableStore.LoadAll$.MODULE$,
            m -> {
              load();
              getContext().become(active());
            })
        .build();
  }

  private void load() {
    File dir = dir();
    String[] files = dir.list();
    if (files != null && files.length > 0) {
      open();
      Map<String, DurableStore.DurableDataEnvelope> data = new HashMap<>();
      try (Txn<ByteBuffer> tx = env.txnRead();
          CursorIterable<ByteBuffer> it = db.iterate(tx)) {
        for (CursorIterable.KeyVal<ByteBuffer> kv : it) {
          byte[] k = new byte[kv.key().remaining()];
          kv.key().get(k);
          byte[] v = new byte[kv.val().remaining()];
          kv.val().get(v);
          data.put(
              new String(k, StandardCharsets.UTF_8),
              (DurableStore.DurableDataEnvelope)
                  SerializationExtension.get(getContext().getSystem())
                      .deserialize(v, serializer.identifier(), manifest)
                      .get());
        }
      } catch (RuntimeException e) {
        throw new DurableStore.LoadFailed("failed to load durable KV data from " + dir, e);
      }
      if (!data.isEmpty()) {
        getSender()
            .tell(
                new DurableStore.LoadData(
                    scala.collection.immutable.Map.from(CollectionConverters.asScala(data))),
                getSelf());
      }
    }
    getSender().tell(DurableStore.LoadAllCompleted$.MODULE$, getSelf());
  }

  private Receive active() {
    return receiveBuilder()
        .match(
            DurableStore.Store.class,
            s -> {
              if (pending.isEmpty()) {
                getSelf().tell(Flush.INSTANCE, getSelf());
              }
              Pending before = pending.remove(s.key());
              List<DurableStore.StoreReply> replies =
                  before == null ? new ArrayList<>() : before.replies();
              s.reply().foreach(replies::add);
              pending.put(s.key(), new Pending(s.data(), replies));
            })
        .matchEquals(Flush.INSTANCE, f -> flush())
        .build();
  }

  /** Writes every pending store in one transaction, then answers each of them. */
  private void flush() {
    if (pending.isEmpty()) {
      return;
    }
    boolean stored = false;
    try {
      open();
      try (Txn<ByteBuffer> tx = env.txnWrite()) {
        for (Map.Entry<String, Pending> e : pending.entrySet()) {
          byte[] value = serializer.toBinary(e.getValue().data());
          if (valueBuffer.capacity() < value.length) {
            valueBuffer = ByteBuffer.allocateDirect(value.length * 2);
          }
          keyBuffer.clear();
          keyBuffer.put(e.getKey().getBytes(StandardCharsets.UTF_8)).flip();
          valueBuffer.clear();
          valueBuffer.put(value).flip();
          db.put(tx, keyBuffer, valueBuffer);
        }
        tx.commit();
        stored = true;
      }
    } catch (RuntimeException e) {
      log.error(e, "failed to store {} KV buckets", pending.size());
    }
    for (Pending p : pending.values()) {
      for (DurableStore.StoreReply r : p.replies()) {
        r.replyTo().tell(stored ? r.successMsg() : r.failureMsg(), getSelf());
      }
    }
    pending.clear();
  }
}
