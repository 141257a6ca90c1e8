package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The weave host ABI as a C guest sees it, through weave.h. */
class WeaveAbiTest {
  private final GuestBlockingTest.Recorder recorder = new GuestBlockingTest.Recorder();
  private final WasmEngine engine = WasmEngine.create(EngineConfig.defaults(), recorder);

  @AfterEach
  void close() {
    engine.close();
  }

  private GuestFunction guest(Capabilities capabilities, Limits limits) throws Exception {
    return engine.prepare(
        TestGuests.c("weave-kv"),
        ComponentSpec.builder("kv-guest")
            .withCapabilities(capabilities)
            .withLimits(limits)
            .build());
  }

  private GuestFunction guest(KvCapability kv) throws Exception {
    return guest(new Capabilities(kv, Variables.of(Map.of("who", "world"))), Limits.defaults());
  }

  private static String call(GuestFunction fn, String query) throws GuestException {
    return new String(fn.invoke(GuestRequest.builder().query(query).build()).body(), UTF_8);
  }

  @Test
  void aGuestCountsVisitsWithKvIncrementAndAnOperationIdCountsOnce() throws Exception {
    GuestFunction fn = guest(new InMemoryKv(Set.of("default")));
    assertEquals("1", call(fn, "incr:default:visits:1"));
    assertEquals("2", call(fn, "incr:default:visits:1"));
    assertEquals("12", call(fn, "incr:default:visits:10:op-1"));
    assertEquals("12", call(fn, "incr:default:visits:10:op-1"));
    assertEquals("11", call(fn, "incr:default:visits:-1"));
  }

  @Test
  void aGuestSetsGetsDeletesAndAsksWhetherAKeyExists() throws Exception {
    GuestFunction fn = guest(new InMemoryKv(Set.of("default")));
    assertEquals("status 2 len 0", call(fn, "get:default:k"));
    assertEquals("status 0 exists 0", call(fn, "exists:default:k"));
    assertEquals("status 0", call(fn, "set:default:k:hello"));
    assertEquals("hello", call(fn, "get:default:k"));
    assertEquals("status 0 exists 1", call(fn, "exists:default:k"));
    assertEquals("status 0", call(fn, "delete:default:k"));
    assertEquals("status 2 len 0", call(fn, "get:default:k"));
  }

  @Test
  void aBufferTooSmallAnswersTheLengthItNeeds() throws Exception {
    GuestFunction fn = guest(new InMemoryKv(Set.of("default")));
    call(fn, "set:default:k:hello");
    assertEquals("status 1 len 5", call(fn, "get:default:k:3"));
    assertEquals("status 1 len 5", call(fn, "var::who:2"));
    assertEquals("world", call(fn, "var::who:100"));
    assertEquals("status 2 len 0", call(fn, "var::nobody:100"));
  }

  @Test
  void anUndeclaredStoreIsAccessDeniedAndNoCapabilitiesDenyEveryStore() throws Exception {
    assertEquals("status 9", call(guest(new InMemoryKv(Set.of("default"))), "open:other"));
    assertEquals("status 9", call(guest(KvCapability.NONE), "open:default"));
    assertEquals("handle 0", call(guest(new InMemoryKv(Set.of("default"))), "open:default"));
  }

  @Test
  void keysArePagedWithACursorUntilTheLastPage() throws Exception {
    GuestFunction fn = guest(new InMemoryKv(Set.of("default")));
    for (String k : List.of("e", "a", "c", "b", "d")) {
      call(fn, "set:default:" + k + ":v");
    }
    assertEquals("a,b,c,d,e, pages 3", call(fn, "keys:default:2"));
    assertEquals("a,b,c,d,e, pages 1", call(fn, "keys:default:10"));
    assertEquals("status 4", call(fn, "keys:default:0"));
  }

  @Test
  void compareAndSwapSetsOnlyWhenTheKeyReadsWhatWasExpected() throws Exception {
    GuestFunction fn = guest(new InMemoryKv(Set.of("default")));
    assertEquals("status 0 swapped 1", call(fn, "cas:default:lock::me"));
    assertEquals("status 0 swapped 0", call(fn, "cas:default:lock::you"));
    assertEquals("status 0 swapped 0", call(fn, "cas:default:lock:you:them"));
    assertEquals("status 0 swapped 1", call(fn, "cas:default:lock:me:them"));
    assertEquals("them", call(fn, "get:default:lock"));
  }

  @Test
  void logLinesGoToTheComponentsStderrWithTheirLevel() throws Exception {
    GuestFunction fn = guest(KvCapability.NONE);
    assertEquals("status 0", call(fn, "log::3:careful"));
    assertEquals("status 4", call(fn, "log::5:nonsense"));
    GuestException e = assertThrows(GuestException.class, () -> call(fn, "log::4:broken:fail"));
    assertTrue(e.getMessage().contains("[ERROR] broken"), e.getMessage());
  }

  @Test
  void aGuestWaitingOnTheStoreTellsTheBlockingListenerOnItsOwnThread() throws Exception {
    GuestFunction fn =
        guest(
            new InMemoryKv(
                Set.of("default"), CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS)));
    assertEquals("1", call(fn, "incr:default:visits:1"));
    String thread = Thread.currentThread().getName();
    assertEquals(List.of("before on " + thread, "after on " + thread), recorder.events);
  }

  @Test
  void aStoreThatNeverAnswersEndsTheGuestAtItsWallTime() throws Exception {
    GuestFunction fn =
        guest(
            new Capabilities(new InMemoryKv(Set.of("default"), r -> {}), Variables.NONE),
            Limits.defaults().withWallTime(Duration.ofMillis(200)));
    GuestException e = assertThrows(GuestException.class, () -> call(fn, "get:default:k"));
    assertEquals(GuestException.Kind.TIMEOUT, e.kind());
    assertEquals(2, recorder.events.size());
  }

  @Test
  void aModuleImportingAFunctionTheWeaveAbiLacksIsRejected() {
    InvalidModuleException e =
        assertThrows(
            InvalidModuleException.class,
            () ->
                engine.prepare(
                    TestGuests.watText(
                        "weave-unknown",
                        "(module (import \"weave\" \"kv_nope\" (func)) (func (export \"_start\")))"),
                    ComponentSpec.builder("bad").build()));
    assertTrue(e.getMessage().contains("weave.kv_nope"), e.getMessage());
  }
}
