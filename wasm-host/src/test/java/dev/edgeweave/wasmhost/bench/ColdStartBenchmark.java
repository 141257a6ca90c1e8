package dev.edgeweave.wasmhost.bench;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import dev.edgeweave.wasmhost.ComponentSpec;
import dev.edgeweave.wasmhost.EngineConfig;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.GuestResponse;
import dev.edgeweave.wasmhost.Limits;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import dev.edgeweave.wasmhost.internal.CgiResponse;
import dev.edgeweave.wasmhost.internal.FileTree;
import dev.edgeweave.wasmhost.internal.ModuleArtifact;
import dev.edgeweave.wasmhost.internal.ProcExit;
import dev.edgeweave.wasmhost.internal.WagiEnvironment;
import dev.edgeweave.wasmhost.internal.Wasi;
import dev.edgeweave.wasmhost.internal.WasiContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Cold start: one {@link GuestFunction#invoke} with a fresh Wasm instance, for the hello guest and
 * for the echo guest (reads the environment and stdin). {@code naive*} is the baseline without
 * Edgeweave's levers: WASI imports built anew and a default memory with no limits per request.
 * {@code unpooled*} reuses the imports but not the memories.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ColdStartBenchmark {
  private WasmEngine pooledEngine;
  private WasmEngine unpooledEngine;
  private GuestFunction hello;
  private GuestFunction echo;
  private GuestFunction unpooledHello;
  private ModuleArtifact naiveHelloModule;
  private ModuleArtifact naiveEchoModule;
  private FileTree noFiles;
  private GuestRequest get;
  private GuestRequest post;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    byte[] helloWasm = TestGuests.c("hello");
    byte[] echoWasm = TestGuests.c("echo");
    pooledEngine = WasmEngine.create(EngineConfig.defaults());
    unpooledEngine = WasmEngine.create(EngineConfig.defaults().withMemoryPoolSize(0));
    hello = pooledEngine.prepare(helloWasm, ComponentSpec.builder("hello").build());
    echo = pooledEngine.prepare(echoWasm, ComponentSpec.builder("echo").build());
    unpooledHello = unpooledEngine.prepare(helloWasm, ComponentSpec.builder("hello").build());
    naiveHelloModule = ModuleArtifact.compile(helloWasm, "hello", Limits.defaults());
    naiveEchoModule = ModuleArtifact.compile(echoWasm, "echo", Limits.defaults());
    noFiles = FileTree.of(Map.of());
    get = GuestRequest.builder().path("/hello").header("User-Agent", "jmh").build();
    post =
        GuestRequest.builder()
            .method("POST")
            .path("/echo")
            .query("a=1&b=2")
            .header("Content-Type", "text/plain")
            .header("User-Agent", "jmh")
            .body("The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8))
            .build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pooledEngine.close();
    unpooledEngine.close();
  }

  @Benchmark
  public GuestResponse hello() throws Exception {
    return hello.invoke(get);
  }

  @Benchmark
  public GuestResponse echo() throws Exception {
    return echo.invoke(post);
  }

  @Benchmark
  public GuestResponse unpooledHello() throws Exception {
    return unpooledHello.invoke(get);
  }

  @Benchmark
  public GuestResponse naiveHello() throws Exception {
    return naive(naiveHelloModule, get);
  }

  @Benchmark
  public GuestResponse naiveEcho() throws Exception {
    return naive(naiveEchoModule, post);
  }

  /** A fresh instance the plain way: every WASI function wrapped anew, Chicory's own memory. */
  private GuestResponse naive(ModuleArtifact module, GuestRequest request) throws Exception {
    List<ImportFunction> functions = new ArrayList<>();
    for (String name : Wasi.functionNames()) {
      HostFunction shared = Wasi.function(name).orElseThrow();
      functions.add(
          new HostFunction(
              Wasi.MODULE,
              name,
              shared.functionType(),
              (instance, args) -> shared.handle().apply(instance, args)));
    }
    ImportValues imports = ImportValues.builder().withFunctions(functions).build();
    WasiContext context =
        new WasiContext(
            () -> WagiEnvironment.argv(ComponentSpec.DEFAULT_ARGV_TEMPLATE, request),
            () -> WagiEnvironment.environment(request, Map.of()),
            request.body(),
            1 << 20,
            4096,
            noFiles);
    context.attach();
    try {
      Instance instance =
          Instance.builder(module.module())
              .withImportValues(imports)
              .withMachineFactory(module.machineFactory())
              .withStart(false)
              .build();
      try {
        instance.export("_start").apply();
      } catch (ProcExit exit) {
        // exit(0) is a normal end
      }
    } finally {
      WasiContext.detach();
    }
    return CgiResponse.parse(context.stdout(), context.stdoutLength());
  }
}
