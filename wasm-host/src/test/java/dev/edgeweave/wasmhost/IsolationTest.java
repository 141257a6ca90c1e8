package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No invocation sees what an earlier one left in memory, globals or the stack, with pooled memories
 * and without.
 */
class IsolationTest {
  private static final List<String> PROBES = List.of("static", "global", "stack", "heap", "memory");
  private static final AtomicInteger SECRETS = new AtomicInteger();

  private static Map<String, String> probe(GuestFunction isolation, String query)
      throws GuestException {
    GuestResponse response = isolation.invoke(GuestRequest.builder().query(query).build());
    assertEquals(200, response.status());
    Map<String, String> report = new LinkedHashMap<>();
    for (String line : new String(response.body(), UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      report.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return report;
  }

  private static String nextSecret() {
    return String.format("SECRET-%06d", SECRETS.incrementAndGet());
  }

  private static WasmEngine engine(int poolSize) {
    return WasmEngine.create(EngineConfig.defaults().withMemoryPoolSize(poolSize));
  }

  @ParameterizedTest(name = "pool size {0}")
  @ValueSource(ints = {0, 1, 16})
  void theProbesDetectAForeignSecretWhenOneIsPlanted(int poolSize) throws Exception {
    try (WasmEngine engine = engine(poolSize)) {
      GuestFunction isolation =
          engine.prepare(TestGuests.c("isolation"), ComponentSpec.builder("isolation").build());

      Map<String, String> report = probe(isolation, "selftest:" + nextSecret());

      for (String probe : PROBES) {
        assertEquals("dirty", report.get(probe), probe + " probe must see the planted secret");
      }
    }
  }

  @ParameterizedTest(name = "pool size {0}")
  @ValueSource(ints = {0, 1, 16})
  void sequentialInvocationsNeverSeeEarlierSecrets(int poolSize) throws Exception {
    try (WasmEngine engine = engine(poolSize)) {
      GuestFunction isolation =
          engine.prepare(TestGuests.c("isolation"), ComponentSpec.builder("isolation").build());
      Set<String> stackPointers = new HashSet<>();
      for (int i = 0; i < 100; i++) {
        // A planted foreign secret in between must not survive either.
        String query = i % 10 == 5 ? "selftest:" + nextSecret() : nextSecret();
        Map<String, String> report = probe(isolation, query);
        if (!query.startsWith("selftest:")) {
          for (String probe : PROBES) {
            assertEquals("clean", report.get(probe), probe + " in invocation " + i);
          }
        }
        stackPointers.add(report.get("sp"));
      }
      assertEquals(1, stackPointers.size(), "the stack pointer global restarts each time");
    }
  }

  @ParameterizedTest(name = "pool size {0}")
  @ValueSource(ints = {0, 4})
  void concurrentInvocationsNeverSeeEachOthersSecrets(int poolSize) throws Exception {
    try (WasmEngine engine = engine(poolSize)) {
      GuestFunction isolation =
          engine.prepare(TestGuests.c("isolation"), ComponentSpec.builder("isolation").build());
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<List<String>>> results = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          results.add(
              pool.submit(
                  () -> {
                    List<String> dirty = new ArrayList<>();
                    for (int i = 0; i < 100; i++) {
                      Map<String, String> report = probe(isolation, nextSecret());
                      for (String probe : PROBES) {
                        if (!"clean".equals(report.get(probe))) {
                          dirty.add(probe + " in invocation " + i);
                        }
                      }
                    }
                    return dirty;
                  }));
        }
        for (Future<List<String>> result : results) {
          assertEquals(List.of(), result.get(2, TimeUnit.MINUTES));
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @ParameterizedTest(name = "pool size {0}")
  @ValueSource(ints = {0, 16})
  void wasmGlobalsAndMemoryStartFreshEveryTime(int poolSize) throws Exception {
    try (WasmEngine engine = engine(poolSize)) {
      GuestFunction counter =
          engine.prepare(TestGuests.wat("counter"), ComponentSpec.builder("counter").build());
      for (int i = 0; i < 50; i++) {
        GuestResponse response = counter.invoke(GuestRequest.builder().build());
        assertEquals("fresh", new String(response.body(), UTF_8), "invocation " + i);
      }
    }
  }
}
