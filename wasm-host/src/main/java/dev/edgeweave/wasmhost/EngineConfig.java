package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Node-wide settings of a {@link WasmEngine}.
 *
 * @param compileCacheSize how many compiled modules (by sha256) stay cached, least recently used
 *     evicted first
 * @param compileCacheMaxBytes how much the cached modules may hold together, estimated as their
 *     size plus their initial data; least recently used evicted first. A module still used by a
 *     prepared function stays shared with it either way
 * @param memoryPoolSize how many idle linear memories each prepared function keeps for reuse; 0
 *     turns pooling off
 * @param memoryPoolMaxBytes how many bytes the idle memories of all functions may hold together; a
 *     memory that would pass it is dropped instead of pooled
 * @param memoryPoolIdleTimeout how long a memory stays pooled unused before it is dropped, so a
 *     function nobody calls any more holds no memory
 * @param watchdogInterval how often the watchdog looks for invocations past their wall time; the
 *     precision of {@link Limits#wallTime()}
 * @param maxStderrBytes how much of a guest's stderr is kept per invocation (the tail is kept)
 * @param guestStackSize the stack, in bytes, of the threads guests run on: Chicory runs guest calls
 *     on the JVM stack, so it bounds a guest's call depth (deeper traps as stack exhaustion). The
 *     engine runs a guest on the calling thread; whoever creates those threads gives them this size
 */
public record EngineConfig(
    int compileCacheSize,
    long compileCacheMaxBytes,
    int memoryPoolSize,
    long memoryPoolMaxBytes,
    Duration memoryPoolIdleTimeout,
    Duration watchdogInterval,
    int maxStderrBytes,
    long guestStackSize) {
  public static final int DEFAULT_COMPILE_CACHE_SIZE = 64;
  public static final long DEFAULT_COMPILE_CACHE_MAX_BYTES = 256L * 1024 * 1024;
  public static final int DEFAULT_MEMORY_POOL_SIZE = 16;
  public static final long DEFAULT_MEMORY_POOL_MAX_BYTES = 256L * 1024 * 1024;
  public static final Duration DEFAULT_MEMORY_POOL_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_WATCHDOG_INTERVAL = Duration.ofMillis(5);
  public static final int DEFAULT_MAX_STDERR_BYTES = 16 * 1024;
  public static final long DEFAULT_GUEST_STACK_SIZE = 4L * 1024 * 1024;

  public static final int MAX_COMPILE_CACHE_SIZE = 100_000;
  public static final int MAX_MEMORY_POOL_SIZE = 4096;
  public static final long MAX_CACHE_OR_POOL_BYTES = 1L << 40;
  public static final Duration MIN_MEMORY_POOL_IDLE_TIMEOUT = Duration.ofMillis(1);
  public static final Duration MAX_MEMORY_POOL_IDLE_TIMEOUT = Duration.ofDays(1);
  public static final Duration MIN_WATCHDOG_INTERVAL = Duration.ofMillis(1);
  public static final Duration MAX_WATCHDOG_INTERVAL = Duration.ofSeconds(1);
  public static final int MAX_STDERR_BYTES = 16 * 1024 * 1024;
  public static final long MIN_GUEST_STACK_SIZE = 256L * 1024;
  public static final long MAX_GUEST_STACK_SIZE = 1L << 30;

  public EngineConfig {
    if (compileCacheSize < 1 || compileCacheSize > MAX_COMPILE_CACHE_SIZE) {
      throw new IllegalArgumentException(
          "compileCacheSize must be in [1, "
              + MAX_COMPILE_CACHE_SIZE
              + "], was "
              + compileCacheSize);
    }
    if (compileCacheMaxBytes < 0 || compileCacheMaxBytes > MAX_CACHE_OR_POOL_BYTES) {
      throw new IllegalArgumentException(
          "compileCacheMaxBytes must be in [0, "
              + MAX_CACHE_OR_POOL_BYTES
              + "], was "
              + compileCacheMaxBytes);
    }
    if (memoryPoolSize < 0 || memoryPoolSize > MAX_MEMORY_POOL_SIZE) {
      throw new IllegalArgumentException(
          "memoryPoolSize must be in [0, " + MAX_MEMORY_POOL_SIZE + "], was " + memoryPoolSize);
    }
    if (memoryPoolMaxBytes < 0 || memoryPoolMaxBytes > MAX_CACHE_OR_POOL_BYTES) {
      throw new IllegalArgumentException(
          "memoryPoolMaxBytes must be in [0, "
              + MAX_CACHE_OR_POOL_BYTES
              + "], was "
              + memoryPoolMaxBytes);
    }
    requireNonNull(memoryPoolIdleTimeout, "memoryPoolIdleTimeout");
    if (memoryPoolIdleTimeout.compareTo(MIN_MEMORY_POOL_IDLE_TIMEOUT) < 0
        || memoryPoolIdleTimeout.compareTo(MAX_MEMORY_POOL_IDLE_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          "memoryPoolIdleTimeout must be in ["
              + MIN_MEMORY_POOL_IDLE_TIMEOUT
              + ", "
              + MAX_MEMORY_POOL_IDLE_TIMEOUT
              + "], was "
              + memoryPoolIdleTimeout);
    }
    requireNonNull(watchdogInterval, "watchdogInterval");
    if (watchdogInterval.compareTo(MIN_WATCHDOG_INTERVAL) < 0
        || watchdogInterval.compareTo(MAX_WATCHDOG_INTERVAL) > 0) {
      throw new IllegalArgumentException(
          "watchdogInterval must be in ["
              + MIN_WATCHDOG_INTERVAL
              + ", "
              + MAX_WATCHDOG_INTERVAL
              + "], was "
              + watchdogInterval);
    }
    if (maxStderrBytes < 0 || maxStderrBytes > MAX_STDERR_BYTES) {
      throw new IllegalArgumentException(
          "maxStderrBytes must be in [0, " + MAX_STDERR_BYTES + "], was " + maxStderrBytes);
    }
    if (guestStackSize < MIN_GUEST_STACK_SIZE || guestStackSize > MAX_GUEST_STACK_SIZE) {
      throw new IllegalArgumentException(
          "guestStackSize must be in ["
              + MIN_GUEST_STACK_SIZE
              + ", "
              + MAX_GUEST_STACK_SIZE
              + "] bytes, was "
              + guestStackSize);
    }
  }

  public static EngineConfig defaults() {
    return new EngineConfig(
        DEFAULT_COMPILE_CACHE_SIZE,
        DEFAULT_COMPILE_CACHE_MAX_BYTES,
        DEFAULT_MEMORY_POOL_SIZE,
        DEFAULT_MEMORY_POOL_MAX_BYTES,
        DEFAULT_MEMORY_POOL_IDLE_TIMEOUT,
        DEFAULT_WATCHDOG_INTERVAL,
        DEFAULT_MAX_STDERR_BYTES,
        DEFAULT_GUEST_STACK_SIZE);
  }

  public static Builder builder() {
    return new Builder();
  }

  public EngineConfig withCompileCacheSize(int compileCacheSize) {
    return new EngineConfig(
        compileCacheSize,
        compileCacheMaxBytes,
        memoryPoolSize,
        memoryPoolMaxBytes,
        memoryPoolIdleTimeout,
        watchdogInterval,
        maxStderrBytes,
        guestStackSize);
  }

  public EngineConfig withCompileCacheMaxBytes(long compileCacheMaxBytes) {
    return new EngineConfig(
        compileCacheSize,
        compileCacheMaxBytes,
        memoryPoolSize,
        memoryPoolMaxBytes,
        memoryPoolIdleTimeout,
        watchdogInterval,
        maxStderrBytes,
        guestStackSize);
  }

  public EngineConfig withMemoryPoolSize(int memoryPoolSize) {
    return new EngineConfig(
        compileCacheSize,
        compileCacheMaxBytes,
        memoryPoolSize,
        memoryPoolMaxBytes,
        memoryPoolIdleTimeout,
        watchdogInterval,
        maxStderrBytes,
        guestStackSize);
  }

  public EngineConfig withMemoryPoolMaxBytes(long memoryPoolMaxBytes) {
    return new EngineConfig(
        compileCacheSize,
        compileCacheMaxBytes,
        memoryPoolSize,
        memoryPoolMaxBytes,
        memoryPoolIdleTimeout,
        watchdogInterval,
        maxStderrBytes,
        guestStackSize);
  }

  public EngineConfig withMemoryPoolIdleTimeout(Duration memoryPoolIdleTimeout) {
    return new EngineConfig(
        compileCacheSize,
        compileCacheMaxBytes,
        memoryPoolSize,
        memoryPoolMaxBytes,
        memoryPoolIdleTimeout,
        watchdogInterval,
        maxStderrBytes,
        guestStackSize);
  }

  public EngineConfig withWatchdogInterval(Duration watchdogInterval) {
    return new EngineConfig(
        compileCacheSize,
        compileCacheMaxBytes,
        memoryPoolSize,
        memoryPoolMaxBytes,
        memoryPoolIdleTimeout,
        watchdogInterval,
        maxStderrBytes,
        guestStackSize);
  }

  public EngineConfig withMaxStderrBytes(int maxStderrBytes) {
    return new EngineConfig(
        compileCacheSize,
        compileCacheMaxBytes,
        memoryPoolSize,
        memoryPoolMaxBytes,
        memoryPoolIdleTimeout,
        watchdogInterval,
        maxStderrBytes,
        guestStackSize);
  }

  public EngineConfig withGuestStackSize(long guestStackSize) {
    return new EngineConfig(
        compileCacheSize,
        compileCacheMaxBytes,
        memoryPoolSize,
        memoryPoolMaxBytes,
        memoryPoolIdleTimeout,
        watchdogInterval,
        maxStderrBytes,
        guestStackSize);
  }

  /** Builds an {@link EngineConfig}, starting from the defaults. */
  public static final class Builder {
    private EngineConfig config = defaults();

    private Builder() {}

    public Builder withCompileCacheSize(int compileCacheSize) {
      config = config.withCompileCacheSize(compileCacheSize);
      return this;
    }

    public Builder withCompileCacheMaxBytes(long compileCacheMaxBytes) {
      config = config.withCompileCacheMaxBytes(compileCacheMaxBytes);
      return this;
    }

    public Builder withMemoryPoolSize(int memoryPoolSize) {
      config = config.withMemoryPoolSize(memoryPoolSize);
      return this;
    }

    public Builder withMemoryPoolMaxBytes(long memoryPoolMaxBytes) {
      config = config.withMemoryPoolMaxBytes(memoryPoolMaxBytes);
      return this;
    }

    public Builder withMemoryPoolIdleTimeout(Duration memoryPoolIdleTimeout) {
      config = config.withMemoryPoolIdleTimeout(memoryPoolIdleTimeout);
      return this;
    }

    public Builder withWatchdogInterval(Duration watchdogInterval) {
      config = config.withWatchdogInterval(watchdogInterval);
      return this;
    }

    public Builder withMaxStderrBytes(int maxStderrBytes) {
      config = config.withMaxStderrBytes(maxStderrBytes);
      return this;
    }

    public Builder withGuestStackSize(long guestStackSize) {
      config = config.withGuestStackSize(guestStackSize);
      return this;
    }

    public EngineConfig build() {
      return config;
    }
  }
}
