package dev.edgeweave.node;

import dev.edgeweave.sharding.FunctionEntity;
import org.apache.pekko.actor.AllDeadLetters;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Sends again the invocations that sharding dropped while handing a shard off. When a shard moves
 * (its node leaves, or a rebalance), the region that owned it drops the messages that reached it
 * between the start of the hand-off and the hand-off itself, so that messages to one entity never
 * overtake each other. No entity saw them, and invocations do not depend on their order, so each
 * one goes back through sharding to the shard's new home, which replies to the original asker.
 */
final class HandOffRedelivery {

  private HandOffRedelivery() {}

  static Behavior<AllDeadLetters> create() {
    return Behaviors.setup(
        ctx -> {
          // The region gives each message it drops to deadLetters as a Dropped, which publishes
          // it wrapped in a DeadLetter.
          ctx.getSystem()
              .eventStream()
              .tell(new EventStream.Subscribe<>(AllDeadLetters.class, ctx.getSelf()));
          ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
          return Behaviors.receiveMessage(
              letter -> {
                Dropped dropped = null;
                if (letter instanceof Dropped d) {
                  dropped = d;
                } else if (letter.message() instanceof Dropped d) {
                  dropped = d;
                }
                if (dropped != null
                    && dropped.message() instanceof ShardingEnvelope<?> envelope
                    && envelope.message() instanceof FunctionEntity.Invoke invoke) {
                  ctx.getLog()
                      .info(
                          "sending again an invocation of {} that sharding dropped ({})",
                          envelope.entityId(),
                          dropped.reason());
                  sharding.entityRefFor(FunctionEntity.TYPE_KEY, envelope.entityId()).tell(invoke);
                }
                return Behaviors.same();
              });
        });
  }
}
