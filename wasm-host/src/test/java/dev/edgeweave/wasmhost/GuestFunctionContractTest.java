package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link GuestFunction} must do, whatever ABI it speaks. An executor's test extends this
 * and supplies guests with the described behaviour.
 */
public abstract class GuestFunctionContractTest {
  /** The component id the supplied functions run as. */
  protected static final String COMPONENT = "contract-component";

  /** Answers 200 with {@code Content-Type: text/plain} and a body containing "Hello, Edgeweave". */
  protected abstract GuestFunction hello();

  /** Answers 200 with a body that contains the request method and then the request body. */
  protected abstract GuestFunction echo();

  /** Never finishes on its own. */
  protected abstract GuestFunction looping(Limits limits);

  /** Grows its memory until refused, then dies. */
  protected abstract GuestFunction growing(Limits limits);

  /** Traps at once. */
  protected abstract GuestFunction trapping();

  protected static GuestRequest get() {
    return GuestRequest.builder().path("/").build();
  }

  protected static GuestRequest post(String body) {
    return GuestRequest.builder()
        .method("POST")
        .path("/echo")
        .header("Content-Type", "text/plain")
        .body(body.getBytes(UTF_8))
        .build();
  }

  @Test
  void helloAnswersWithStatusContentTypeAndBody() throws Exception {
    GuestResponse response = hello().invoke(get());

    assertEquals(200, response.status());
    assertEquals("text/plain", response.header("content-type").orElseThrow());
    assertTrue(new String(response.body(), UTF_8).contains("Hello, Edgeweave"));
  }

  @Test
  void eachInvocationOfTheSameFunctionGivesTheSameAnswer() throws Exception {
    GuestFunction function = hello();
    String first = new String(function.invoke(get()).body(), UTF_8);
    for (int i = 0; i < 20; i++) {
      assertEquals(first, new String(function.invoke(get()).body(), UTF_8));
    }
  }

  @Test
  void echoReceivesTheRequestMethodAndBody() throws Exception {
    String body = "ping \u00e9\u00e8 " + "x".repeat(10_000);

    GuestResponse response = echo().invoke(post(body));

    String text = new String(response.body(), UTF_8);
    assertEquals(200, response.status());
    assertTrue(text.startsWith("POST"), text.substring(0, Math.min(40, text.length())));
    assertTrue(text.endsWith(body));
  }

  @Test
  void moduleDigestIsAHexSha256() {
    assertTrue(hello().moduleDigest().matches("[0-9a-f]{64}"), hello().moduleDigest());
  }

  @Test
  void aTrapIsReportedAsTrapNamingTheComponent() {
    GuestException e = assertThrows(GuestException.class, () -> trapping().invoke(get()));

    assertEquals(GuestException.Kind.TRAP, e.kind());
    assertEquals(COMPONENT, e.component());
    assertTrue(e.getMessage().contains(COMPONENT), e.getMessage());
  }

  @Test
  void aGuestPastItsWallTimeIsInterruptedAndTheThreadStaysUsable() throws Exception {
    GuestFunction loop = looping(Limits.defaults().withWallTime(Duration.ofMillis(200)));

    GuestException e = assertThrows(GuestException.class, () -> loop.invoke(get()));

    assertEquals(GuestException.Kind.TIMEOUT, e.kind());
    assertTrue(e.getMessage().contains(COMPONENT), e.getMessage());
    assertFalse(Thread.currentThread().isInterrupted(), "interrupt flag must be cleared");
    assertEquals(200, hello().invoke(get()).status());
  }

  @Test
  void aLoopingGuestTimesOutWhileOtherThreadsKeepSucceeding() throws Exception {
    GuestFunction loop = looping(Limits.defaults().withWallTime(Duration.ofMillis(500)));
    GuestFunction hello = hello();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      CountDownLatch looping = new CountDownLatch(1);
      Future<GuestException.Kind> timedOut =
          pool.submit(
              () -> {
                looping.countDown();
                try {
                  loop.invoke(get());
                  return null;
                } catch (GuestException e) {
                  return e.kind();
                }
              });
      looping.await();
      List<Future<Integer>> others = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        others.add(
            pool.submit(
                () -> {
                  int ok = 0;
                  for (int i = 0; i < 50; i++) {
                    if (hello.invoke(get()).status() == 200) {
                      ok++;
                    }
                  }
                  return ok;
                }));
      }
      for (Future<Integer> other : others) {
        assertEquals(50, other.get(60, TimeUnit.SECONDS));
      }
      assertEquals(GuestException.Kind.TIMEOUT, timedOut.get(60, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aGuestThatOutgrowsItsMemoryLimitIsReportedAsMemoryLimit() {
    GuestFunction grow = growing(Limits.defaults().withMaxMemoryPages(16));

    GuestException e = assertThrows(GuestException.class, () -> grow.invoke(get()));

    assertEquals(GuestException.Kind.MEMORY_LIMIT, e.kind());
    assertTrue(e.getMessage().contains("16 pages"), e.getMessage());
    assertTrue(e.getMessage().contains(COMPONENT), e.getMessage());
  }

  @Test
  void concurrentInvocationsOnManyThreadsAreAllAnsweredCorrectly() throws Exception {
    GuestFunction echo = echo();
    int threads = 8;
    int perThread = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  int correct = 0;
                  for (int i = 0; i < perThread; i++) {
                    String body = "thread " + thread + " request " + i;
                    String text = new String(echo.invoke(post(body)).body(), UTF_8);
                    if (text.startsWith("POST") && text.endsWith(body)) {
                      correct++;
                    }
                  }
                  return correct;
                }));
      }
      for (Future<Integer> result : results) {
        assertEquals(perThread, result.get(5, TimeUnit.MINUTES));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
