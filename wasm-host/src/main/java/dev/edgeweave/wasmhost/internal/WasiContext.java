package dev.edgeweave.wasmhost.internal;

import static java.util.Objects.requireNonNull;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Memory;
import dev.edgeweave.wasmhost.BlockingListener;
import dev.edgeweave.wasmhost.Capabilities;
import dev.edgeweave.wasmhost.KvFailure;
import dev.edgeweave.wasmhost.KvStoreHandle;
import dev.edgeweave.wasmhost.OutboundResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The state of one invocation that the WASI host functions work on: argv, environment, stdio and
 * open files. The host functions are built once per module and find the running invocation's
 * context through {@link #current()}, which the runner sets around the call.
 */
public final class WasiContext {
  private static final ThreadLocal<WasiContext> CURRENT = new ThreadLocal<>();

  static final int STDIN = 0;
  static final int STDOUT = 1;
  static final int STDERR = 2;
  static final int PREOPEN = 3;
  static final int MAX_OPEN_FDS = 1024;

  /** An open directory: the preopen or one opened under it. */
  static final class DirFd {
    final WasiFiles.Dir dir;

    /** The preopened directory (fd_prestat_get describes it), even after fd_renumber. */
    final boolean preopen;

    long base;
    long inheriting;

    DirFd(WasiFiles.Dir dir, boolean preopen, long base, long inheriting) {
      this.dir = dir;
      this.preopen = preopen;
      this.base = base;
      this.inheriting = inheriting;
    }
  }

  /** An open regular file; FD_READ and FD_WRITE in its rights are how it was opened. */
  static final class FileFd {
    final WasiFiles.File file;
    long position;
    boolean append;
    boolean nonblock;

    /** The fdflags it was opened with besides append and nonblock (dsync, rsync, sync). */
    int syncFlags;

    long base;
    long inheriting;

    FileFd(WasiFiles.File file, long base, long inheriting) {
      this.file = file;
      this.base = base;
      this.inheriting = inheriting;
    }
  }

  private static final Object STDIN_FD = new Object();
  private static final Object STDOUT_FD = new Object();
  private static final Object STDERR_FD = new Object();

  private final Supplier<List<String>> argsSource;
  private final Supplier<List<String>> environmentSource;
  private final byte[] stdin;
  private int stdinPosition;
  private final OutputBuffer stdout;
  private final TailBuffer stderr;
  private final long startNanos = System.nanoTime();
  private byte[][] args;
  private byte[][] environment;
  private Object[] fds;
  private final WasiFiles files;
  private BlockingListener blockingListener = BlockingListener.NONE;
  private boolean hasDeadline;
  private long deadlineNanos;
  private Capabilities capabilities = Capabilities.NONE;
  private List<KvStoreHandle> kvHandles;
  private List<OutboundResponse> httpResponses;
  private int httpRequests;

  /**
   * @param args supplies argv; called only if the guest asks for it
   * @param environment supplies {@code NAME=value} entries; called only if the guest asks
   */
  public WasiContext(
      Supplier<List<String>> args,
      Supplier<List<String>> environment,
      byte[] stdin,
      long maxStdoutBytes,
      int maxStderrBytes,
      FileTree files) {
    this(args, environment, stdin, maxStdoutBytes, maxStderrBytes, files, false, 0);
  }

  /**
   * @param transientWrites whether the guest may change its files: the changes live in a
   *     copy-on-write overlay of this invocation only, never in {@code files}
   * @param maxTransientWriteBytes what the overlay may hold (new and copied file content, entries)
   */
  public WasiContext(
      Supplier<List<String>> args,
      Supplier<List<String>> environment,
      byte[] stdin,
      long maxStdoutBytes,
      int maxStderrBytes,
      FileTree files,
      boolean transientWrites,
      long maxTransientWriteBytes) {
    this.argsSource = requireNonNull(args, "args");
    this.environmentSource = requireNonNull(environment, "environment");
    this.stdin = requireNonNull(stdin, "stdin");
    this.stdout = new OutputBuffer(maxStdoutBytes, 1024);
    this.stderr = new TailBuffer(maxStderrBytes);
    this.files = new WasiFiles(files, transientWrites, maxTransientWriteBytes);
    this.fds =
        new Object[] {
          STDIN_FD,
          STDOUT_FD,
          STDERR_FD,
          new DirFd(this.files.root(), true, Wasi.PREOPEN_RIGHTS, Wasi.INHERITED_RIGHTS)
        };
  }

  /** The context of the invocation running on this thread. */
  static WasiContext current() {
    WasiContext context = CURRENT.get();
    if (context == null) {
      throw new IllegalStateException("WASI host function called outside an invocation");
    }
    return context;
  }

  /** Makes this the current context of the calling thread until {@link #detach()}. */
  public void attach() {
    CURRENT.set(this);
  }

  /**
   * Makes this the current context of the calling thread until {@link #detach()}, for an invocation
   * that must end by {@code deadlineNanos} ({@link System#nanoTime()}) and tells {@code listener}
   * when it waits.
   */
  public void attach(long deadlineNanos, BlockingListener listener) {
    this.hasDeadline = true;
    this.deadlineNanos = deadlineNanos;
    this.blockingListener = requireNonNull(listener, "listener");
    attach();
  }

  /** Gives the guest what it may reach through the {@code weave} ABI (nothing by default). */
  public WasiContext withCapabilities(Capabilities capabilities) {
    this.capabilities = requireNonNull(capabilities, "capabilities");
    return this;
  }

  Capabilities capabilities() {
    return capabilities;
  }

  /** Keeps an open store for the guest; its handle, or -1 if {@code max} are open already. */
  int addKvHandle(KvStoreHandle handle, int max) {
    if (kvHandles == null) {
      kvHandles = new ArrayList<>();
    }
    if (kvHandles.size() >= max) {
      return -1;
    }
    kvHandles.add(handle);
    return kvHandles.size() - 1;
  }

  /** The store behind a guest's handle, or null if it names none. */
  KvStoreHandle kvHandle(long handle) {
    return kvHandles != null && handle >= 0 && handle < kvHandles.size()
        ? kvHandles.get((int) handle)
        : null;
  }

  /**
   * Counts one more outbound request of this invocation; false, counting nothing, if {@code max}
   * were sent already.
   */
  boolean countHttpRequest(int max) {
    if (httpRequests >= max) {
      return false;
    }
    httpRequests++;
    return true;
  }

  /** Keeps a response for the guest to read; its handle. */
  int addHttpResponse(OutboundResponse response) {
    if (httpResponses == null) {
      httpResponses = new ArrayList<>();
    }
    httpResponses.add(response);
    return httpResponses.size() - 1;
  }

  /** The response behind a guest's handle, or null if it names none. */
  OutboundResponse httpResponse(long handle) {
    return httpResponses != null && handle >= 0 && handle < httpResponses.size()
        ? httpResponses.get((int) handle)
        : null;
  }

  /**
   * Waits for a host operation the guest called (a key-value call), telling the blocking listener
   * around the wait. Never waits past the invocation's deadline: then, or on an interrupt (the
   * watchdog's), the guest stops. A failure of the operation is returned as a {@link KvFailure}.
   */
  <T> T await(CompletionStage<T> stage) {
    return await(stage, WasiContext::failure);
  }

  /**
   * Waits like {@link #await(CompletionStage)}, turning a failure of the operation into the
   * exception {@code failure} makes of its cause.
   */
  <T> T await(CompletionStage<T> stage, Function<Throwable, RuntimeException> failure) {
    CompletableFuture<T> future = stage.toCompletableFuture();
    if (!future.isDone()) {
      long remaining = hasDeadline ? deadlineNanos - System.nanoTime() : Long.MAX_VALUE;
      if (remaining <= 0) {
        throw new ChicoryInterruptedException("wall time elapsed while the guest waited");
      }
      blockingListener.beforeBlocking();
      try {
        return future.get(remaining, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ChicoryInterruptedException("Thread interrupted");
      } catch (TimeoutException e) {
        throw new ChicoryInterruptedException("wall time elapsed while the guest waited");
      } catch (ExecutionException e) {
        throw failure.apply(e.getCause());
      } finally {
        blockingListener.afterBlocking();
      }
    }
    try {
      return future.getNow(null);
    } catch (RuntimeException e) {
      throw failure.apply(e.getCause() != null ? e.getCause() : e);
    }
  }

  private static KvFailure failure(Throwable cause) {
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof KvFailure failure) {
        return failure;
      }
    }
    return new KvFailure(KvFailure.Kind.OTHER, String.valueOf(cause), cause);
  }

  public static void detach() {
    CURRENT.remove();
  }

  byte[][] args() {
    if (args == null) {
      args = encode(argsSource.get());
    }
    return args;
  }

  byte[][] environment() {
    if (environment == null) {
      environment = encode(environmentSource.get());
    }
    return environment;
  }

  private static byte[][] encode(List<String> strings) {
    byte[][] encoded = new byte[strings.size()][];
    for (int i = 0; i < encoded.length; i++) {
      encoded[i] = strings.get(i).getBytes(StandardCharsets.UTF_8);
    }
    return encoded;
  }

  long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }

  /**
   * Waits {@code nanos} for the guest (a sleep in poll_oneoff), telling the blocking listener
   * around the wait. Never waits past the invocation's deadline: a longer sleep ends there and
   * stops the guest. An interrupt (the watchdog's) stops the guest too, and stays set.
   */
  void sleep(long nanos) {
    if (nanos <= 0) {
      return;
    }
    long wait = nanos;
    boolean cut = false;
    if (hasDeadline) {
      long remaining = deadlineNanos - System.nanoTime();
      if (nanos >= remaining) {
        wait = Math.max(0, remaining);
        cut = true;
      }
    }
    if (wait > 0) {
      blockingListener.beforeBlocking();
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        // Keep the flag: the watchdog's interrupt is how a timeout is told apart.
        Thread.currentThread().interrupt();
        throw new ChicoryInterruptedException("Thread interrupted");
      } finally {
        blockingListener.afterBlocking();
      }
    }
    if (cut) {
      throw new ChicoryInterruptedException("wall time elapsed while the guest slept");
    }
  }

  /**
   * Copies up to {@code len} unread stdin bytes to guest memory at {@code ptr}; returns the count.
   */
  int readStdin(Memory memory, int ptr, long len) {
    int n = (int) Math.min(len, stdin.length - stdinPosition);
    GuestPointers.bytes(memory, ptr, n);
    memory.write(ptr, stdin, stdinPosition, n);
    stdinPosition += n;
    return n;
  }

  int stdinRemaining() {
    return stdin.length - stdinPosition;
  }

  OutputBuffer stdoutBuffer() {
    return stdout;
  }

  TailBuffer stderrBuffer() {
    return stderr;
  }

  /** What the guest wrote to stdout. */
  public byte[] stdout() {
    return Arrays.copyOf(stdout.array(), stdout.length());
  }

  public int stdoutLength() {
    return stdout.length();
  }

  /** The last {@code max} bytes the guest wrote to stderr, decoded as UTF-8. */
  public String stderrTail(int max) {
    return stderr.tail(max);
  }

  public long stderrBytes() {
    return stderr.total();
  }

  // ---- descriptor table ----

  WasiFiles files() {
    return files;
  }

  boolean isStdin(Object fd) {
    return fd == STDIN_FD;
  }

  boolean isStdout(Object fd) {
    return fd == STDOUT_FD;
  }

  boolean isStderr(Object fd) {
    return fd == STDERR_FD;
  }

  /** The descriptor's entry, or null if it is not open. */
  Object fd(int fd) {
    return fd >= 0 && fd < fds.length ? fds[fd] : null;
  }

  /** Opens a new descriptor; -1 if too many are open. */
  int open(Object entry) {
    int fd = place(entry);
    if (fd >= 0 && entry instanceof FileFd file) {
      files.opened(file.file);
    }
    return fd;
  }

  private int place(Object entry) {
    for (int i = 0; i < fds.length; i++) {
      if (fds[i] == null) {
        fds[i] = entry;
        return i;
      }
    }
    if (fds.length >= MAX_OPEN_FDS) {
      return -1;
    }
    int fd = fds.length;
    fds = Arrays.copyOf(fds, Math.min(fds.length * 2, MAX_OPEN_FDS));
    fds[fd] = entry;
    return fd;
  }

  boolean close(int fd) {
    Object entry = fd(fd);
    if (entry == null) {
      return false;
    }
    fds[fd] = null;
    released(entry);
    return true;
  }

  private void released(Object entry) {
    if (entry instanceof FileFd file) {
      files.closed(file.file);
    }
  }

  /** Moves {@code from} to {@code to}, closing what {@code to} held; false unless both are open. */
  boolean renumber(int from, int to) {
    Object entry = fd(from);
    Object replaced = fd(to);
    if (entry == null || replaced == null) {
      return false;
    }
    if (from != to) {
      released(replaced);
    }
    fds[to] = entry;
    if (from != to) {
      fds[from] = null;
    }
    return true;
  }
}
