package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Per-invocation limits of a component.
 *
 * @param maxMemoryPages cap on the guest's linear memory, in 64 KiB pages; {@code memory.grow}
 *     beyond it fails
 * @param wallTime how long one invocation may run before it is interrupted
 * @param maxStdoutBytes how much the guest may write to stdout (the WAGI response)
 * @param maxTableElements cap on the elements of all the module's tables together: a module
 *     declaring more initially is refused at prepare, {@code table.grow} beyond it fails
 * @param maxTransientWriteBytes what a component with transient writes may hold in its invocation's
 *     copy-on-write file overlay (new and copied file content, directory entries); past it writes
 *     fail with ENOSPC
 */
public record Limits(
    int maxMemoryPages,
    Duration wallTime,
    long maxStdoutBytes,
    int maxTableElements,
    long maxTransientWriteBytes) {
  /** 2048 pages = 128 MiB. */
  public static final int DEFAULT_MAX_MEMORY_PAGES = 2048;

  public static final Duration DEFAULT_WALL_TIME = Duration.ofSeconds(10);
  public static final long DEFAULT_MAX_STDOUT_BYTES = 8L * 1024 * 1024;

  /**
   * Elements cost about 8 bytes each in every instance (a fresh one per request), so 100000 is
   * under 1 MiB per request; large C programs use a few thousand, interpreters tens of thousands.
   */
  public static final int DEFAULT_MAX_TABLE_ELEMENTS = 100_000;

  public static final long DEFAULT_MAX_TRANSIENT_WRITE_BYTES = 16L * 1024 * 1024;

  /** Overlay files are Java arrays held in the heap for one request: 1 GiB is plenty. */
  public static final long MAX_TRANSIENT_WRITE_BYTES = 1L << 30;

  /** The Wasm 32-bit address space: 65536 pages = 4 GiB. */
  public static final int MAX_MEMORY_PAGES = 65536;

  public static final Duration MIN_WALL_TIME = Duration.ofMillis(1);
  public static final Duration MAX_WALL_TIME = Duration.ofHours(1);

  /** Stdout is buffered in one array, so it stays well under the JVM's array limit. */
  public static final long MAX_STDOUT_BYTES = 1L << 30;

  /** The largest table the runtime (Chicory) supports. */
  public static final int MAX_TABLE_ELEMENTS = 10_000_000;

  public Limits {
    if (maxMemoryPages < 1 || maxMemoryPages > MAX_MEMORY_PAGES) {
      throw new IllegalArgumentException(
          "maxMemoryPages must be in [1, " + MAX_MEMORY_PAGES + "], was " + maxMemoryPages);
    }
    requireNonNull(wallTime, "wallTime");
    if (wallTime.compareTo(MIN_WALL_TIME) < 0 || wallTime.compareTo(MAX_WALL_TIME) > 0) {
      throw new IllegalArgumentException(
          "wallTime must be in [" + MIN_WALL_TIME + ", " + MAX_WALL_TIME + "], was " + wallTime);
    }
    if (maxStdoutBytes < 1 || maxStdoutBytes > MAX_STDOUT_BYTES) {
      throw new IllegalArgumentException(
          "maxStdoutBytes must be in [1, " + MAX_STDOUT_BYTES + "], was " + maxStdoutBytes);
    }
    if (maxTableElements < 0 || maxTableElements > MAX_TABLE_ELEMENTS) {
      throw new IllegalArgumentException(
          "maxTableElements must be in [0, " + MAX_TABLE_ELEMENTS + "], was " + maxTableElements);
    }
    if (maxTransientWriteBytes < 0 || maxTransientWriteBytes > MAX_TRANSIENT_WRITE_BYTES) {
      throw new IllegalArgumentException(
          "maxTransientWriteBytes must be in [0, "
              + MAX_TRANSIENT_WRITE_BYTES
              + "], was "
              + maxTransientWriteBytes);
    }
  }

  /** Limits with the default transient write budget. */
  public Limits(int maxMemoryPages, Duration wallTime, long maxStdoutBytes, int maxTableElements) {
    this(
        maxMemoryPages,
        wallTime,
        maxStdoutBytes,
        maxTableElements,
        DEFAULT_MAX_TRANSIENT_WRITE_BYTES);
  }

  /**
   * The default limits: 128 MiB of memory, 10 s of wall time, 8 MiB of stdout, 100000 table
   * elements, 16 MiB of transient writes.
   */
  public static Limits defaults() {
    return new Limits(
        DEFAULT_MAX_MEMORY_PAGES,
        DEFAULT_WALL_TIME,
        DEFAULT_MAX_STDOUT_BYTES,
        DEFAULT_MAX_TABLE_ELEMENTS);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Limits withMaxMemoryPages(int maxMemoryPages) {
    return new Limits(
        maxMemoryPages, wallTime, maxStdoutBytes, maxTableElements, maxTransientWriteBytes);
  }

  public Limits withWallTime(Duration wallTime) {
    return new Limits(
        maxMemoryPages, wallTime, maxStdoutBytes, maxTableElements, maxTransientWriteBytes);
  }

  public Limits withMaxStdoutBytes(long maxStdoutBytes) {
    return new Limits(
        maxMemoryPages, wallTime, maxStdoutBytes, maxTableElements, maxTransientWriteBytes);
  }

  public Limits withMaxTableElements(int maxTableElements) {
    return new Limits(
        maxMemoryPages, wallTime, maxStdoutBytes, maxTableElements, maxTransientWriteBytes);
  }

  public Limits withMaxTransientWriteBytes(long maxTransientWriteBytes) {
    return new Limits(
        maxMemoryPages, wallTime, maxStdoutBytes, maxTableElements, maxTransientWriteBytes);
  }

  /** Builds {@link Limits}, starting from the defaults. */
  public static final class Builder {
    private int maxMemoryPages = DEFAULT_MAX_MEMORY_PAGES;
    private Duration wallTime = DEFAULT_WALL_TIME;
    private long maxStdoutBytes = DEFAULT_MAX_STDOUT_BYTES;
    private int maxTableElements = DEFAULT_MAX_TABLE_ELEMENTS;
    private long maxTransientWriteBytes = DEFAULT_MAX_TRANSIENT_WRITE_BYTES;

    private Builder() {}

    public Builder withMaxMemoryPages(int maxMemoryPages) {
      this.maxMemoryPages = maxMemoryPages;
      return this;
    }

    public Builder withWallTime(Duration wallTime) {
      this.wallTime = wallTime;
      return this;
    }

    public Builder withMaxStdoutBytes(long maxStdoutBytes) {
      this.maxStdoutBytes = maxStdoutBytes;
      return this;
    }

    public Builder withMaxTableElements(int maxTableElements) {
      this.maxTableElements = maxTableElements;
      return this;
    }

    public Builder withMaxTransientWriteBytes(long maxTransientWriteBytes) {
      this.maxTransientWriteBytes = maxTransientWriteBytes;
      return this;
    }

    public Limits build() {
      return new Limits(
          maxMemoryPages, wallTime, maxStdoutBytes, maxTableElements, maxTransientWriteBytes);
    }
  }
}
