package dev.edgeweave.kv.internal;

import dev.edgeweave.kv.proto.Bucket;
import dev.edgeweave.serialization.KryoSerializable;
import java.util.Optional;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.ddata.Replicator;

/**
 * The node's end of location-majority calls: applies a bucket delta pushed by a node of the same
 * location to this node's replicator (acknowledging once stored, durably when durable storage is
 * on) and answers reads of a bucket. Distributed Data's own majorities count every location; this
 * counts one.
 */
public final class LocationEndpoint extends AbstractActor {

  /** Name under {@code /system} on every node. */
  public static final String NAME = "kvLocation";

  /** Messages between the nodes of a location. */
  public sealed interface Message extends KryoSerializable permits Push, Ack, Read, ReadResult {}

  /** Merge this delta into bucket {@code keyId}. */
  public record Push(String keyId, Bucket delta) implements Message {}

  /** The reply to {@link Push}: stored, or not. */
  public record Ack(String keyId, boolean stored) implements Message {}

  public record Read(String keyId) implements Message {}

  /** This node's bucket (an empty one when it has none). */
  public record ReadResult(String keyId, Bucket bucket) implements Message {}

  private final ActorRef replicator;

  private LocationEndpoint(ActorRef replicator) {
    this.replicator = replicator;
  }

  public static Props props(ActorRef replicator) {
    return Props.create(LocationEndpoint.class, () -> new LocationEndpoint(replicator));
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            Push.class,
            p -> {
              KvBucket delta = KvSerializer.fromProto(p.delta());
              replicator.tell(
                  new Replicator.Update<>(
                      new BucketKey(p.keyId()),
                      KvBucket.EMPTY,
                      Replicator.writeLocal(),
                      Optional.of(getSender()),
                      existing -> existing.mergeData(delta)),
                  getSelf());
            })
        .match(
            Read.class,
            r ->
                replicator.tell(
                    new Replicator.Get<>(
                        new BucketKey(r.keyId()), Replicator.readLocal(), Optional.of(getSender())),
                    getSelf()))
        .match(
            Replicator.UpdateSuccess.class,
            u -> requester(u.getRequest()).tell(new Ack(u.key().id(), true), getSelf()))
        .match(
            Replicator.UpdateFailure.class,
            u -> requester(u.getRequest()).tell(new Ack(u.key().id(), false), getSelf()))
        .match(
            Replicator.GetSuccess.class,
            g ->
                requester(g.getRequest())
                    .tell(
                        new ReadResult(
                            g.key().id(), KvSerializer.toProto((KvBucket) g.dataValue())),
                        getSelf()))
        .match(
            Replicator.NotFound.class,
            n ->
                requester(n.getRequest())
                    .tell(new ReadResult(n.key().id(), Bucket.getDefaultInstance()), getSelf()))
        .build();
  }

  private static ActorRef requester(Optional<?> request) {
    return (ActorRef) request.orElseThrow();
  }
}
