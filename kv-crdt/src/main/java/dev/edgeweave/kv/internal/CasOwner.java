package dev.edgeweave.kv.internal;

import dev.edgeweave.kv.KvException;
import dev.edgeweave.serialization.KryoSerializable;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The one owner of a bucket's majority compare-and-swaps: a Cluster Sharding entity per bucket
 * ({@code kv/<store id>/<bucket>}), hosted in one location for the whole cluster. It runs one swap
 * at a time (read at majority, compare, write at majority, answer) and queues the others, so two
 * swaps of a key never both see the same old value. Safety across an owner handover rests on the
 * majorities: an owner that cannot reach a majority fails its swap instead of applying it.
 */
public final class CasOwner {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "kvCas");

  /** What the entity does with a swap: read, compare and write at majority on this node. */
  @FunctionalInterface
  public interface Executor {
    CompletionStage<Boolean> swap(Swap swap);
  }

  public sealed interface Command permits Swap, Waiting, Finished, Stop {}

  /**
   * The stop message sharding sends on handoff and passivation: a running swap finishes and answers
   * first, so the next owner's majority read sees its write; waiting swaps are refused unapplied.
   */
  public enum Stop implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /**
   * Sets the key to the new value if it holds what was expected. The expected value travels as its
   * SHA-256 (a value of up to a megabyte need not cross the network to be compared); the new value
   * is inline bytes, or a reference to a large value that the caller already stored at majority.
   *
   * @param expectPresent false: the key must be missing ({@code expectedDigest} is then empty)
   * @param newValue the new value's bytes, or empty when {@code newBlobDigest} names it
   */
  public record Swap(
      String app,
      String label,
      String key,
      boolean expectPresent,
      byte[] expectedDigest,
      long expectedLength,
      byte[] newValue,
      byte[] newBlobDigest,
      long newBlobLength,
      ActorRef<Reply> replyTo)
      implements Command, KryoSerializable {}

  public sealed interface Reply extends KryoSerializable permits Swapped, Failed {}

  public record Swapped(boolean swapped) implements Reply {}

  /** The swap failed; {@code kind} is a {@link KvException.Kind} name. */
  public record Failed(String kind, String message) implements Reply {
    public KvException exception() {
      for (KvException.Kind k : KvException.Kind.values()) {
        if (k.name().equals(kind)) {
          return new KvException(k, message);
        }
      }
      return new KvException(KvException.Kind.OTHER, kind + ": " + message);
    }
  }

  /** A swap that arrived while another ran, with its arrival time. */
  private record Waiting(Swap swap, long arrivedNanos)
      implements Command, NoSerializationVerificationNeeded {}

  private record Finished(Swap swap, Reply reply)
      implements Command, NoSerializationVerificationNeeded {}

  private final ActorContext<Command> context;
  private final StashBuffer<Command> queue;
  private final Executor executor;
  private final long maxWaitNanos;

  private CasOwner(
      ActorContext<Command> context,
      StashBuffer<Command> queue,
      Executor executor,
      Duration maxWait) {
    this.context = context;
    this.queue = queue;
    this.executor = executor;
    this.maxWaitNanos = maxWait.toNanos();
  }

  /**
   * @param maxQueued swaps waiting behind the running one; more are refused as {@code UNAVAILABLE}
   * @param maxWait a swap that waited longer is refused unapplied: its caller has given up
   */
  public static Behavior<Command> create(Executor executor, int maxQueued, Duration maxWait) {
    return Behaviors.withStash(
        maxQueued,
        queue ->
            Behaviors.setup(context -> new CasOwner(context, queue, executor, maxWait).idle()));
  }

  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessage(Swap.class, s -> start(s, System.nanoTime()))
        .onMessage(Waiting.class, w -> start(w.swap(), w.arrivedNanos()))
        .onMessage(Stop.class, s -> stop())
        .build();
  }

  private Behavior<Command> busy() {
    return Behaviors.receive(Command.class)
        .onMessage(Swap.class, s -> enqueue(new Waiting(s, System.nanoTime())))
        .onMessage(Waiting.class, this::enqueue)
        .onMessage(
            Finished.class,
            f -> {
              f.swap().replyTo().tell(f.reply());
              return queue.unstash(idle(), 1, Function.identity());
            })
        .onMessage(Stop.class, s -> stopping())
        .build();
  }

  /** Waits for the running swap, then stops. */
  private Behavior<Command> stopping() {
    return Behaviors.receive(Command.class)
        .onMessage(Swap.class, s -> refuse(s))
        .onMessage(Waiting.class, w -> refuse(w.swap()))
        .onMessage(
            Finished.class,
            f -> {
              f.swap().replyTo().tell(f.reply());
              return stop();
            })
        .onMessage(Stop.class, s -> Behaviors.same())
        .build();
  }

  private Behavior<Command> stop() {
    queue.forEach(
        c -> {
          if (c instanceof Waiting w) {
            refuse(w.swap());
          }
        });
    return Behaviors.stopped();
  }

  private Behavior<Command> refuse(Swap swap) {
    swap.replyTo()
        .tell(
            new Failed(
                KvException.Kind.UNAVAILABLE.name(),
                "this bucket's compare-and-swap owner is moving to another node; not applied"));
    return Behaviors.same();
  }

  private Behavior<Command> enqueue(Waiting w) {
    if (queue.isFull()) {
      w.swap()
          .replyTo()
          .tell(
              new Failed(
                  KvException.Kind.UNAVAILABLE.name(),
                  "too many compare-and-swaps wait for this bucket; not applied"));
    } else {
      queue.stash(w);
    }
    return Behaviors.same();
  }

  private Behavior<Command> start(Swap swap, long arrivedNanos) {
    CompletionStage<Boolean> result;
    if (System.nanoTime() - arrivedNanos > maxWaitNanos) {
      result =
          CompletableFuture.failedFuture(
              new KvException(
                  KvException.Kind.UNAVAILABLE,
                  "waited too long behind other compare-and-swaps of this bucket; not applied"));
    } else {
      try {
        result = executor.swap(swap);
      } catch (RuntimeException e) {
        result = CompletableFuture.failedFuture(e);
      }
    }
    // Even a refusal goes through Finished, which answers and starts the next waiting swap.
    context.pipeToSelf(
        result,
        (swapped, error) ->
            new Finished(swap, error == null ? new Swapped(swapped) : failed(error)));
    return busy();
  }

  private static Failed failed(Throwable error) {
    KvException e = KvException.unwrap(error);
    return new Failed(e.kind().name(), e.getMessage());
  }
}
