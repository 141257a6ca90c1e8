package dev.edgeweave.wasmhost;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The WAGI executor against the {@link GuestFunction} contract. */
class WagiFunctionContractTest extends GuestFunctionContractTest {
  private static WasmEngine engine;

  @BeforeAll
  static void startEngine() {
    engine = WasmEngine.create(EngineConfig.defaults());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static GuestFunction prepare(byte[] wasm, Limits limits) {
    try {
      return engine.prepare(wasm, ComponentSpec.builder(COMPONENT).withLimits(limits).build());
    } catch (InvalidModuleException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  protected GuestFunction hello() {
    return prepare(TestGuests.c("hello"), Limits.defaults());
  }

  @Override
  protected GuestFunction echo() {
    return prepare(TestGuests.c("echo"), Limits.defaults());
  }

  @Override
  protected GuestFunction looping(Limits limits) {
    return prepare(TestGuests.wat("loop"), limits);
  }

  @Override
  protected GuestFunction growing(Limits limits) {
    return prepare(TestGuests.wat("grow"), limits);
  }

  @Override
  protected GuestFunction trapping() {
    return prepare(TestGuests.wat("trap"), Limits.defaults());
  }
}
