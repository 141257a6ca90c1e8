package dev.edgeweave.kv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.kv.KvException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The owner of a bucket's swaps, with an executor the test completes by hand. */
class CasOwnerTest {

  private static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** Swaps the owner started, each with the future the test completes. */
  private final List<CompletableFuture<Boolean>> started = new CopyOnWriteArrayList<>();

  private ActorRef<CasOwner.Command> owner(int maxQueued, Duration maxWait) {
    return kit.spawn(
        CasOwner.create(
            s -> {
              CompletableFuture<Boolean> f = new CompletableFuture<>();
              started.add(f);
              return f;
            },
            maxQueued,
            maxWait));
  }

  private static CasOwner.Swap swap(String key, TestProbe<CasOwner.Reply> probe) {
    return new CasOwner.Swap(
        "app", "default", key, false, new byte[0], 0, new byte[] {1}, new byte[0], 0, probe.ref());
  }

  private void awaitStarted(int n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (started.size() < n && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(n, started.size());
  }

  @Test
  void aSwapStartsOnlyOnceThePreviousOneAnswered() {
    ActorRef<CasOwner.Command> owner = owner(10, Duration.ofMinutes(1));
    TestProbe<CasOwner.Reply> first = kit.createTestProbe();
    TestProbe<CasOwner.Reply> second = kit.createTestProbe();
    owner.tell(swap("k", first));
    owner.tell(swap("k", second));
    awaitStarted(1);
    second.expectNoMessage(Duration.ofMillis(200));
    assertEquals(1, started.size(), "the second swap waits for the first");
    started.get(0).complete(true);
    assertEquals(new CasOwner.Swapped(true), first.receiveMessage());
    awaitStarted(2);
    started.get(1).complete(false);
    assertEquals(new CasOwner.Swapped(false), second.receiveMessage());
  }

  @Test
  void aFailedSwapAnswersWithItsKindAndTheNextStarts() {
    ActorRef<CasOwner.Command> owner = owner(10, Duration.ofMinutes(1));
    TestProbe<CasOwner.Reply> first = kit.createTestProbe();
    TestProbe<CasOwner.Reply> second = kit.createTestProbe();
    owner.tell(swap("k", first));
    owner.tell(swap("k", second));
    awaitStarted(1);
    started.get(0).completeExceptionally(new KvException(KvException.Kind.UNAVAILABLE, "no"));
    CasOwner.Failed failed = (CasOwner.Failed) first.receiveMessage();
    assertEquals(KvException.Kind.UNAVAILABLE, failed.exception().kind());
    awaitStarted(2);
  }

  @Test
  void swapsBeyondTheQueueAreRefusedUnapplied() {
    ActorRef<CasOwner.Command> owner = owner(1, Duration.ofMinutes(1));
    TestProbe<CasOwner.Reply> probe = kit.createTestProbe();
    owner.tell(swap("a", probe));
    owner.tell(swap("b", probe));
    owner.tell(swap("c", probe));
    CasOwner.Failed refused = (CasOwner.Failed) probe.receiveMessage();
    assertEquals("UNAVAILABLE", refused.kind());
    assertEquals(1, started.size());
  }

  @Test
  void aSwapThatWaitedLongerThanItsCallerIsRefusedWithoutRunning() {
    ActorRef<CasOwner.Command> owner = owner(10, Duration.ofMillis(50));
    TestProbe<CasOwner.Reply> first = kit.createTestProbe();
    TestProbe<CasOwner.Reply> late = kit.createTestProbe();
    owner.tell(swap("k", first));
    owner.tell(swap("k", late));
    awaitStarted(1);
    late.expectNoMessage(Duration.ofMillis(200));
    started.get(0).complete(true);
    first.receiveMessage();
    CasOwner.Failed refused = (CasOwner.Failed) late.receiveMessage();
    assertTrue(refused.message().contains("not applied"), refused.message());
    assertEquals(1, started.size());
  }

  @Test
  void onHandoffTheRunningSwapFinishesAndAnswersBeforeTheOwnerStops() {
    ActorRef<CasOwner.Command> owner = owner(10, Duration.ofMinutes(1));
    TestProbe<CasOwner.Reply> running = kit.createTestProbe();
    TestProbe<CasOwner.Reply> waiting = kit.createTestProbe();
    TestProbe<Object> watcher = kit.createTestProbe();
    owner.tell(swap("k", running));
    owner.tell(swap("k", waiting));
    awaitStarted(1);
    owner.tell(CasOwner.Stop.INSTANCE);
    running.expectNoMessage(Duration.ofMillis(200));
    started.get(0).complete(true);
    assertEquals(new CasOwner.Swapped(true), running.receiveMessage());
    assertEquals("UNAVAILABLE", ((CasOwner.Failed) waiting.receiveMessage()).kind());
    watcher.expectTerminated(owner);
    assertEquals(1, started.size(), "a waiting swap is not applied by an owner that moves");
  }
}
