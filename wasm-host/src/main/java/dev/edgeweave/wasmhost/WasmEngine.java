package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import dev.edgeweave.wasmhost.internal.CompileCache;
import dev.edgeweave.wasmhost.internal.GuestRunner;
import dev.edgeweave.wasmhost.internal.MemoryPools;
import dev.edgeweave.wasmhost.internal.ModuleArtifact;
import dev.edgeweave.wasmhost.internal.Watchdog;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The node's Wasm engine: compiles each module once per sha256 (Chicory's runtime compiler), keeps
 * the compiled modules in a bounded cache, owns the watchdog that enforces wall time and the memory
 * pools' node-wide bound. It holds nothing else of a prepared function: a function dropped by its
 * caller is collected with its pool (and its module, once the cache evicted it).
 */
public final class WasmEngine implements AutoCloseable {
  private final EngineConfig config;
  private final CompileCache cache;
  private final Watchdog watchdog;
  private final MemoryPools pools;
  private final ScheduledExecutorService poolSweeper;
  private final BlockingListener blockingListener;
  private volatile boolean closed;

  private WasmEngine(EngineConfig config, BlockingListener blockingListener) {
    this.config = config;
    this.blockingListener = blockingListener;
    this.cache = new CompileCache(config.compileCacheSize(), config.compileCacheMaxBytes());
    this.watchdog = new Watchdog(config.watchdogInterval());
    this.pools = new MemoryPools(config.memoryPoolMaxBytes(), config.memoryPoolIdleTimeout());
    this.poolSweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "edgeweave-wasm-pool-sweeper");
              t.setDaemon(true);
              return t;
            });
    // Often enough that a memory is dropped within 1.5 idle timeouts, at most once a second.
    long period =
        Math.max(
            Duration.ofMillis(1).toNanos(),
            Math.min(
                config.memoryPoolIdleTimeout().toNanos() / 2, Duration.ofSeconds(1).toNanos()));
    poolSweeper.scheduleWithFixedDelay(pools::sweep, period, period, TimeUnit.NANOSECONDS);
  }

  public static WasmEngine create(EngineConfig config) {
    return create(config, BlockingListener.NONE);
  }

  /** An engine whose guests tell {@code blockingListener} when they wait in the host. */
  public static WasmEngine create(EngineConfig config, BlockingListener blockingListener) {
    return new WasmEngine(
        requireNonNull(config, "config"), requireNonNull(blockingListener, "blockingListener"));
  }

  /**
   * Prepares {@code wasm} to run as {@code spec} under WAGI: parses, validates and compiles it
   * (once per digest), checks its imports, entrypoint and memory against the spec.
   */
  public GuestFunction prepare(byte[] wasm, ComponentSpec spec) throws InvalidModuleException {
    requireNonNull(wasm, "wasm");
    String digest = sha256(wasm);
    return new WagiFunction(digest, spec, runner(wasm, digest, spec), config.maxStderrBytes());
  }

  /**
   * Prepares {@code wasm} to run as a command (argv, environment, stdin in; exit code, stdout and
   * stderr out) under the same engine, limits and WASI layer as {@link #prepare}.
   */
  public CommandFunction prepareCommand(byte[] wasm, ComponentSpec spec)
      throws InvalidModuleException {
    requireNonNull(wasm, "wasm");
    return new CommandFunction(spec, runner(wasm, sha256(wasm), spec), config.maxStderrBytes());
  }

  private GuestRunner runner(byte[] wasm, String digest, ComponentSpec spec)
      throws InvalidModuleException {
    requireNonNull(spec, "spec");
    if (closed) {
      throw new IllegalStateException("engine is closed");
    }
    ModuleArtifact artifact;
    try {
      artifact = cache.get(digest, () -> ModuleArtifact.compile(wasm, digest, spec.limits()));
    } catch (InvalidModuleException e) {
      throw new InvalidModuleException("component '" + spec.id() + "': " + e.getMessage(), e);
    }
    String problem = artifact.entrypointProblem(spec.entrypoint());
    if (problem == null) {
      // A cached artifact was checked against the limits of the component that compiled it.
      problem = artifact.limitProblem(spec.limits());
    }
    if (problem != null) {
      throw new InvalidModuleException("component '" + spec.id() + "': " + problem);
    }
    return new GuestRunner(
        artifact,
        spec.id(),
        spec.entrypoint(),
        spec.limits(),
        watchdog,
        pools,
        config.memoryPoolSize(),
        blockingListener);
  }

  public EngineConfig config() {
    return config;
  }

  public BlockingListener blockingListener() {
    return blockingListener;
  }

  /** How many module compilations this engine started; for tests and metrics. */
  long compilations() {
    return cache.compilations();
  }

  /** Estimated bytes of the modules in the compile cache; for tests and metrics. */
  long cachedModuleBytes() {
    return cache.cachedBytes();
  }

  /** Bytes held by idle pooled memories of all functions; for tests and metrics. */
  long pooledMemoryBytes() {
    return pools.pooledBytes();
  }

  /**
   * Stops the watchdog and the pool sweeper; functions prepared by this engine must not be invoked
   * afterwards.
   */
  @Override
  public void close() {
    closed = true;
    watchdog.close();
    poolSweeper.shutdownNow();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM lacks SHA-256", e);
    }
  }
}
