package dev.edgeweave.wasmhost.bench;

import dev.edgeweave.wasmhost.ComponentSpec;
import dev.edgeweave.wasmhost.EngineConfig;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.GuestResponse;
import dev.edgeweave.wasmhost.SqliteGuest;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The realistic cold start: a fresh instance of SQLite built for wasm32-wasi (about 1 MB of Wasm)
 * that opens a database from its read-only files and answers one query, beside {@code hello}
 * measured in the same run as the baseline.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SqliteColdStartBenchmark {
  private WasmEngine engine;
  private GuestFunction hello;
  private GuestFunction sqlite;
  private GuestRequest get;
  private GuestRequest query;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    engine = WasmEngine.create(EngineConfig.defaults());
    hello = engine.prepare(TestGuests.c("hello"), ComponentSpec.builder("hello").build());
    byte[] app = SqliteGuest.wagiApp();
    byte[] database =
        engine
            .prepare(app, ComponentSpec.builder("build").withTransientWrites(true).build())
            .invoke(GuestRequest.builder().path("/db").query("op=build&n=50").build())
            .body();
    sqlite =
        engine.prepare(
            app, ComponentSpec.builder("sqlite").withFile("/data/app.db", database).build());
    get = GuestRequest.builder().path("/hello").header("User-Agent", "jmh").build();
    query = GuestRequest.builder().path("/db").query("op=count").build();
    String answer = new String(sqlite.invoke(query).body(), StandardCharsets.UTF_8);
    if (!answer.equals("50\n")) {
      throw new IllegalStateException("the SQLite app answered " + answer);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    engine.close();
  }

  @Benchmark
  public GuestResponse hello() throws Exception {
    return hello.invoke(get);
  }

  @Benchmark
  public GuestResponse sqliteOpenAndQuery() throws Exception {
    return sqlite.invoke(query);
  }
}
