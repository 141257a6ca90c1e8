package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Clocks, sleep, randomness and descriptor errors, as a wasi-libc program sees them. */
class WasiMiscTest {
  private static Map<String, String> report;

  @BeforeAll
  static void runOnce() throws Exception {
    try (WasmEngine engine = WasmEngine.create(EngineConfig.defaults())) {
      GuestFunction misc =
          engine.prepare(TestGuests.c("misc"), ComponentSpec.builder("misc").build());
      report = new LinkedHashMap<>();
      String body = new String(misc.invoke(GuestRequest.builder().build()).body(), UTF_8);
      for (String line : body.split("\n")) {
        int eq = line.indexOf('=');
        report.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "realtime.after2020, 1",
    "monotonic.res.ok, 1",
    "sleep.result, 0",
    "sleep.atleast2ms, 1",
    "random.result, 0",
    "random.nonzero, 1",
    "yield, 0",
    "stdout.isatty, 0",
    "stdin.seek, -1",
    "stdin.seek.errno, 70",
    "badfd.read, -1",
    "badfd.errno, 8",
    "close.stdin, 0",
    "read.closed.errno, 8",
  })
  void theGuestObserves(String key, String value) {
    assertEquals(value, report.get(key), key + " in " + report);
  }
}
