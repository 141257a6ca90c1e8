package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Host calls sized by the guest cost the node nothing proportional to what the guest asked. */
class HostCallContainmentTest {
  private static final long MIB = 1024 * 1024;

  private static WasmEngine engine;

  @BeforeAll
  static void startEngine() throws Exception {
    engine = WasmEngine.create(EngineConfig.defaults());
    // Loads the engine's classes, so that measurements below see only the call itself.
    prepare("counter").invoke(GuestRequest.builder().build());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static GuestFunction prepare(String wat) throws InvalidModuleException {
    return engine.prepare(TestGuests.wat(wat), ComponentSpec.builder(wat).build());
  }

  @Test
  void randomGetOfTwoGibibytesIntoASmallMemoryIsRefusedWithEfaultWithoutAllocatingIt()
      throws Exception {
    GuestFunction fn = prepare("random-huge");

    long before = ThreadAllocation.current();
    GuestException e =
        assertThrows(GuestException.class, () -> fn.invoke(GuestRequest.builder().build()));
    long allocated = ThreadAllocation.current() - before;

    assertEquals(GuestException.Kind.EXIT, e.kind());
    assertTrue(e.getMessage().contains("exited with code 21"), e.getMessage()); // EFAULT
    assertTrue(allocated < MIB, "allocated " + allocated + " bytes");
    assertEquals(
        "fresh",
        new String(prepare("counter").invoke(GuestRequest.builder().build()).body(), UTF_8));
  }

  @Test
  void randomGetOfOneMebibyteIntoAValidBufferStillFillsIt() throws Exception {
    GuestFunction fn = prepare("random-mib");

    GuestResponse response = fn.invoke(GuestRequest.builder().build());

    assertEquals("filled", new String(response.body(), UTF_8));
  }
}
