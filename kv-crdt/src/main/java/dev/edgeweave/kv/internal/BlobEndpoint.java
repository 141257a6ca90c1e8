package dev.edgeweave.kv.internal;

import com.google.protobuf.ByteString;
import dev.edgeweave.kv.KvException;
import dev.edgeweave.kv.proto.BlobAck;
import dev.edgeweave.kv.proto.BlobData;
import dev.edgeweave.kv.proto.BlobGet;
import dev.edgeweave.kv.proto.BlobPut;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;

/**
 * The node's end of large-value transfers ({@code /system/kvBlobs}): stores a value another node
 * pushes and answers requests for the values this node holds. Large values never ride in gossip;
 * they travel between these endpoints on Artery's large-message channel (the path is a {@code
 * large-message-destinations} entry, and requests are sent from this endpoint so answers come back
 * to it on that channel too). Runs on the blocking-IO dispatcher: it writes to disk.
 */
public final class BlobEndpoint extends AbstractActor {

  /** Name under {@code /system} on every node. */
  public static final String NAME = "kvBlobs";

  /** Requests this node sent, waiting for their answers by id. Thread-safe. */
  public static final class Transfers {
    private final ExtendedActorSystem system;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<Object>> pending = new ConcurrentHashMap<>();
    private volatile ActorRef endpoint;

    public Transfers(ExtendedActorSystem system) {
      this.system = system;
    }

    /** The node's endpoint, which sends the requests and receives their answers. */
    public void attach(ActorRef endpoint) {
      this.endpoint = endpoint;
    }

    /** Stores {@code value} on {@code node}; completes with whether it was stored. */
    public CompletionStage<Boolean> put(Address node, BlobRef ref, byte[] value, Duration timeout) {
      return send(
              node,
              id ->
                  BlobPut.newBuilder()
                      .setId(id)
                      .setDigest(ByteString.copyFrom(ref.digest()))
                      .setValue(ByteString.copyFrom(value))
                      .build(),
              timeout)
          .thenApply(r -> r instanceof BlobAck a && a.getStored());
    }

    /** The value if {@code node} holds it (and it is the value {@code ref} names). */
    public CompletionStage<Optional<byte[]>> get(Address node, BlobRef ref, Duration timeout) {
      return send(
              node,
              id ->
                  BlobGet.newBuilder()
                      .setId(id)
                      .setDigest(ByteString.copyFrom(ref.digest()))
                      .setLength(ref.length())
                      .build(),
              timeout)
          .thenApply(
              r -> {
                if (r instanceof BlobData d && d.getFound()) {
                  byte[] value = d.getValue().toByteArray();
                  if (ref.matches(value)) {
                    return Optional.of(value);
                  }
                }
                return Optional.empty();
              });
    }

    private CompletableFuture<Object> send(
        Address node, LongFunction<Object> message, Duration timeout) {
      long id = ids.incrementAndGet();
      CompletableFuture<Object> answer = new CompletableFuture<>();
      pending.put(id, answer);
      ActorRef target = system.provider().resolveActorRef(node + "/system/" + NAME);
      target.tell(message.apply(id), endpoint);
      return answer
          .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .whenComplete((r, e) -> pending.remove(id))
          .exceptionally(
              e -> {
                throw new KvException(
                    KvException.Kind.UNAVAILABLE,
                    "node " + node + " did not answer a large-value transfer within " + timeout);
              });
    }

    void answer(long id, Object reply) {
      CompletableFuture<Object> f = pending.get(id);
      if (f != null) {
        f.complete(reply);
      }
    }
  }

  private final BlobStore store;
  private final Transfers transfers;

  private BlobEndpoint(BlobStore store, Transfers transfers) {
    this.store = store;
    this.transfers = transfers;
  }

  public static Props props(BlobStore store, Transfers transfers) {
    return Props.create(BlobEndpoint.class, () -> new BlobEndpoint(store, transfers))
        .withDispatcher("pekko.actor.default-blocking-io-dispatcher");
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            BlobPut.class,
            p -> {
              byte[] value = p.getValue().toByteArray();
              boolean stored;
              try {
                store.put(new BlobRef(p.getDigest().toByteArray(), value.length), value);
                stored = true;
              } catch (RuntimeException e) {
                stored = false; // a wrong digest, or a disk that does not take it
              }
              getSender()
                  .tell(BlobAck.newBuilder().setId(p.getId()).setStored(stored).build(), getSelf());
            })
        .match(
            BlobGet.class,
            g -> {
              Optional<byte[]> value = Optional.empty();
              try {
                value = store.get(new BlobRef(g.getDigest().toByteArray(), g.getLength()));
              } catch (RuntimeException e) {
                // Not held whole, or not a reference: answered as not found.
              }
              BlobData.Builder d =
                  BlobData.newBuilder().setId(g.getId()).setFound(value.isPresent());
              value.ifPresent(v -> d.setValue(ByteString.copyFrom(v)));
              getSender().tell(d.build(), getSelf());
            })
        .match(BlobAck.class, a -> transfers.answer(a.getId(), a))
        .match(BlobData.class, d -> transfers.answer(d.getId(), d))
        .build();
  }
}
