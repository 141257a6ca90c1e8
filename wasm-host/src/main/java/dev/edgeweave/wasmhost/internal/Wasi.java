package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.edgeweave.wasmhost.internal.GuestPointers.Refused;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Edgeweave's own {@code wasi_snapshot_preview1}: stdio in memory, a read-only file tree preopened
 * as {@code /}, clocks, randomness and exit. Everything else the interface defines answers with an
 * errno, so any WASI program links.
 *
 * <p>The host functions hold no state: they are created once per JVM and find the running
 * invocation through {@link WasiContext#current()}.
 */
public final class Wasi {
  public static final String MODULE = "wasi_snapshot_preview1";

  // errno values of wasi_snapshot_preview1 (equal to wasi-libc's errno values).
  static final int ESUCCESS = 0;
  static final int EBADF = 8;
  static final int EEXIST = 20;
  static final int EFAULT = 21;
  static final int EINVAL = 28;
  static final int EISDIR = 31;
  static final int EMFILE = 33;
  static final int ENAMETOOLONG = 37;
  static final int ENOENT = 44;
  static final int ENOSYS = 52;
  static final int ENOTDIR = 54;
  static final int ENOTSOCK = 57;
  static final int EOVERFLOW = 61;
  static final int EROFS = 69;
  static final int ESPIPE = 70;
  static final int ENOTCAPABLE = 76;

  static final int FILETYPE_UNKNOWN = 0;
  static final int FILETYPE_DIRECTORY = 3;
  static final int FILETYPE_REGULAR_FILE = 4;

  static final long RIGHT_FD_DATASYNC = 1L;
  static final long RIGHT_FD_READ = 1L << 1;
  static final long RIGHT_FD_SEEK = 1L << 2;
  static final long RIGHT_FD_FDSTAT_SET_FLAGS = 1L << 3;
  static final long RIGHT_FD_SYNC = 1L << 4;
  static final long RIGHT_FD_TELL = 1L << 5;
  static final long RIGHT_FD_WRITE = 1L << 6;
  static final long RIGHT_FD_ADVISE = 1L << 7;
  static final long RIGHT_FD_ALLOCATE = 1L << 8;
  static final long RIGHT_PATH_OPEN = 1L << 13;
  static final long RIGHT_FD_READDIR = 1L << 14;
  static final long RIGHT_PATH_READLINK = 1L << 15;
  static final long RIGHT_PATH_FILESTAT_GET = 1L << 18;
  static final long RIGHT_FD_FILESTAT_GET = 1L << 21;
  static final long RIGHT_FD_FILESTAT_SET_SIZE = 1L << 22;
  static final long RIGHT_POLL_FD_READWRITE = 1L << 27;
  static final long ALL_RIGHTS = (1L << 30) - 1;

  static final long STDIN_RIGHTS = RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE;
  static final long STDOUT_RIGHTS =
      RIGHT_FD_WRITE | RIGHT_FD_DATASYNC | RIGHT_FD_SYNC | RIGHT_POLL_FD_READWRITE;
  static final long FILE_RIGHTS =
      RIGHT_FD_READ
          | RIGHT_FD_SEEK
          | RIGHT_FD_TELL
          | RIGHT_FD_ADVISE
          | RIGHT_FD_FDSTAT_SET_FLAGS
          | RIGHT_FD_SYNC
          | RIGHT_FD_DATASYNC
          | RIGHT_FD_FILESTAT_GET
          | RIGHT_POLL_FD_READWRITE;
  static final long DIRECTORY_RIGHTS =
      RIGHT_PATH_OPEN
          | RIGHT_FD_READDIR
          | RIGHT_PATH_READLINK
          | RIGHT_PATH_FILESTAT_GET
          | RIGHT_FD_FILESTAT_GET
          | RIGHT_FD_FDSTAT_SET_FLAGS
          | RIGHT_FD_SYNC
          | RIGHT_FD_DATASYNC;
  // Rights that mean "open for writing"; the tree is read-only.
  private static final long WRITE_RIGHTS =
      RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE;

  private static final int OFLAGS_CREAT = 1;
  private static final int OFLAGS_DIRECTORY = 2;
  private static final int OFLAGS_EXCL = 4;
  private static final int OFLAGS_TRUNC = 8;
  private static final int FDFLAGS_APPEND = 1;

  private static final int CLOCK_REALTIME = 0;
  private static final int CLOCK_MONOTONIC = 1;
  private static final int CLOCK_PROCESS_CPUTIME = 2;
  private static final int CLOCK_THREAD_CPUTIME = 3;

  private static final int EVENTTYPE_CLOCK = 0;
  private static final int EVENTTYPE_FD_READ = 1;
  private static final int EVENTTYPE_FD_WRITE = 2;
  private static final int SUBSCRIPTION_CLOCK_ABSTIME = 1;

  /**
   * Subscriptions one poll_oneoff may pass: wasi-libc's poll() asks two per descriptor, and its
   * FD_SETSIZE is 1024. More get EINVAL.
   */
  static final int MAX_SUBSCRIPTIONS = 4096;

  private static final long[][] RESULTS = new long[ENOTCAPABLE + 1][];
  private static final long[] NO_RESULT = new long[0];

  static {
    for (int i = 0; i < RESULTS.length; i++) {
      RESULTS[i] = new long[] {i};
    }
  }

  private static final int RANDOM_CHUNK_BYTES = 16 * 1024;

  private static final ThreadLocal<SecureRandom> RANDOM =
      ThreadLocal.withInitial(SecureRandom::new);

  private static final ValType I32 = ValType.I32;
  private static final ValType I64 = ValType.I64;

  private static final Map<String, HostFunction> FUNCTIONS = build();

  private Wasi() {}

  /** The host function for {@code wasi_snapshot_preview1.<name>}, if the interface defines it. */
  public static Optional<HostFunction> function(String name) {
    return Optional.ofNullable(FUNCTIONS.get(name));
  }

  /** Names of all functions provided, sorted. */
  public static List<String> functionNames() {
    return List.copyOf(FUNCTIONS.keySet());
  }

  @FunctionalInterface
  private interface Call {
    int apply(Memory memory, WasiContext context, long[] args);
  }

  private static Map<String, HostFunction> build() {
    Map<String, HostFunction> f = new TreeMap<>();
    def(f, "args_get", Wasi::argsGet, I32, I32);
    def(f, "args_sizes_get", Wasi::argsSizesGet, I32, I32);
    def(f, "environ_get", Wasi::environGet, I32, I32);
    def(f, "environ_sizes_get", Wasi::environSizesGet, I32, I32);
    def(f, "clock_res_get", Wasi::clockResGet, I32, I32);
    def(f, "clock_time_get", Wasi::clockTimeGet, I32, I64, I32);
    def(f, "fd_advise", Wasi::fdAdvise, I32, I64, I64, I32);
    def(f, "fd_allocate", (m, c, a) -> writeOnFd(c, (int) a[0]), I32, I64, I64);
    def(f, "fd_close", (m, c, a) -> c.close((int) a[0]) ? ESUCCESS : EBADF, I32);
    def(f, "fd_datasync", (m, c, a) -> c.fd((int) a[0]) != null ? ESUCCESS : EBADF, I32);
    def(f, "fd_fdstat_get", Wasi::fdFdstatGet, I32, I32);
    def(f, "fd_fdstat_set_flags", Wasi::fdFdstatSetFlags, I32, I32);
    def(
        f,
        "fd_fdstat_set_rights",
        (m, c, a) -> c.fd((int) a[0]) != null ? ESUCCESS : EBADF,
        I32,
        I64,
        I64);
    def(f, "fd_filestat_get", Wasi::fdFilestatGet, I32, I32);
    def(f, "fd_filestat_set_size", (m, c, a) -> writeOnFd(c, (int) a[0]), I32, I64);
    def(f, "fd_filestat_set_times", (m, c, a) -> writeOnFd(c, (int) a[0]), I32, I64, I64, I32);
    def(f, "fd_pread", Wasi::fdPread, I32, I32, I32, I64, I32);
    def(f, "fd_prestat_get", Wasi::fdPrestatGet, I32, I32);
    def(f, "fd_prestat_dir_name", Wasi::fdPrestatDirName, I32, I32, I32);
    def(f, "fd_pwrite", Wasi::fdPwrite, I32, I32, I32, I64, I32);
    def(f, "fd_read", Wasi::fdRead, I32, I32, I32, I32);
    def(f, "fd_readdir", Wasi::fdReaddir, I32, I32, I32, I64, I32);
    def(
        f,
        "fd_renumber",
        (m, c, a) -> c.renumber((int) a[0], (int) a[1]) ? ESUCCESS : EBADF,
        I32,
        I32);
    def(f, "fd_seek", Wasi::fdSeek, I32, I64, I32, I32);
    def(f, "fd_sync", (m, c, a) -> c.fd((int) a[0]) != null ? ESUCCESS : EBADF, I32);
    def(f, "fd_tell", Wasi::fdTell, I32, I32);
    def(f, "fd_write", Wasi::fdWrite, I32, I32, I32, I32);
    def(
        f,
        "path_create_directory",
        (m, c, a) -> writeOnPath(m, c, a[0], a[1], a[2]),
        I32,
        I32,
        I32);
    def(f, "path_filestat_get", Wasi::pathFilestatGet, I32, I32, I32, I32, I32);
    def(
        f,
        "path_filestat_set_times",
        (m, c, a) -> writeOnPath(m, c, a[0], a[2], a[3]),
        I32,
        I32,
        I32,
        I32,
        I64,
        I64,
        I32);
    def(
        f,
        "path_link",
        (m, c, a) -> writeOnPaths(m, c, a[0], a[2], a[3], a[4], a[5], a[6]),
        I32,
        I32,
        I32,
        I32,
        I32,
        I32,
        I32);
    def(f, "path_open", Wasi::pathOpen, I32, I32, I32, I32, I32, I64, I64, I32, I32);
    def(f, "path_readlink", Wasi::pathReadlink, I32, I32, I32, I32, I32, I32);
    def(
        f,
        "path_remove_directory",
        (m, c, a) -> writeOnPath(m, c, a[0], a[1], a[2]),
        I32,
        I32,
        I32);
    def(
        f,
        "path_rename",
        (m, c, a) -> writeOnPaths(m, c, a[0], a[1], a[2], a[3], a[4], a[5]),
        I32,
        I32,
        I32,
        I32,
        I32,
        I32);
    def(
        f,
        "path_symlink",
        (m, c, a) -> {
          readPath(m, a[0], a[1]);
          return writeOnPath(m, c, a[2], a[3], a[4]);
        },
        I32,
        I32,
        I32,
        I32,
        I32);
    def(f, "path_unlink_file", (m, c, a) -> writeOnPath(m, c, a[0], a[1], a[2]), I32, I32, I32);
    def(f, "poll_oneoff", Wasi::pollOneoff, I32, I32, I32, I32);
    f.put(
        "proc_exit",
        new HostFunction(
            MODULE,
            "proc_exit",
            FunctionType.of(List.of(I32), List.of()),
            (instance, args) -> {
              throw new ProcExit((int) args[0]);
            }));
    def(f, "proc_raise", (m, c, a) -> ENOSYS, I32);
    def(f, "random_get", Wasi::randomGet, I32, I32);
    def(f, "sched_yield", (m, c, a) -> ESUCCESS);
    def(f, "sock_accept", (m, c, a) -> notSocket(c, (int) a[0]), I32, I32, I32);
    def(f, "sock_recv", (m, c, a) -> notSocket(c, (int) a[0]), I32, I32, I32, I32, I32, I32);
    def(f, "sock_send", (m, c, a) -> notSocket(c, (int) a[0]), I32, I32, I32, I32, I32);
    def(f, "sock_shutdown", (m, c, a) -> notSocket(c, (int) a[0]), I32, I32);
    return Collections.unmodifiableMap(f);
  }

  private static void def(
      Map<String, HostFunction> into, String name, Call call, ValType... params) {
    FunctionType type = FunctionType.of(List.of(params), List.of(I32));
    into.put(
        name,
        new HostFunction(
            MODULE,
            name,
            type,
            (instance, args) -> {
              try {
                return RESULTS[call.apply(instance.memory(), WasiContext.current(), args)];
              } catch (Refused refused) {
                return RESULTS[refused.errno()];
              }
            }));
  }

  // ---- args and environment ----

  private static int argsSizesGet(Memory m, WasiContext c, long[] a) {
    return sizes(m, c.args(), a[0], a[1]);
  }

  private static int argsGet(Memory m, WasiContext c, long[] a) {
    return strings(m, c.args(), a[0], a[1]);
  }

  private static int environSizesGet(Memory m, WasiContext c, long[] a) {
    return sizes(m, c.environment(), a[0], a[1]);
  }

  private static int environGet(Memory m, WasiContext c, long[] a) {
    return strings(m, c.environment(), a[0], a[1]);
  }

  private static long totalSize(byte[][] strings) {
    long size = 0;
    for (byte[] s : strings) {
      size += s.length + 1;
    }
    return size;
  }

  private static int sizes(Memory m, byte[][] strings, long countPtr, long sizePtr) {
    int countAt = GuestPointers.bytes(m, u32(countPtr), 4);
    int sizeAt = GuestPointers.bytes(m, u32(sizePtr), 4);
    m.writeI32(countAt, strings.length);
    m.writeI32(sizeAt, (int) totalSize(strings));
    return ESUCCESS;
  }

  private static int strings(Memory m, byte[][] strings, long pointersPtr, long bufferPtr) {
    int pointers = GuestPointers.array(m, u32(pointersPtr), strings.length, 4);
    int offset = GuestPointers.bytes(m, u32(bufferPtr), totalSize(strings));
    for (int i = 0; i < strings.length; i++) {
      m.writeI32(pointers + 4 * i, offset);
      m.write(offset, strings[i]);
      m.writeByte(offset + strings[i].length, (byte) 0);
      offset += strings[i].length + 1;
    }
    return ESUCCESS;
  }

  // ---- clocks and randomness ----

  private static int clockResGet(Memory m, WasiContext c, long[] a) {
    int id = (int) a[0];
    long resolution;
    if (id == CLOCK_REALTIME) {
      resolution = 1_000L;
    } else if (id == CLOCK_MONOTONIC || id == CLOCK_PROCESS_CPUTIME || id == CLOCK_THREAD_CPUTIME) {
      resolution = 1L;
    } else {
      return EINVAL;
    }
    m.writeLong(GuestPointers.bytes(m, u32(a[1]), 8), resolution);
    return ESUCCESS;
  }

  private static int clockTimeGet(Memory m, WasiContext c, long[] a) {
    long now = now(c, (int) a[0]);
    if (now < 0) {
      return EINVAL;
    }
    m.writeLong(GuestPointers.bytes(m, u32(a[2]), 8), now);
    return ESUCCESS;
  }

  /** Nanoseconds on the given clock, or -1 for an unknown clock. */
  private static long now(WasiContext c, int clock) {
    switch (clock) {
      case CLOCK_REALTIME:
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
      case CLOCK_MONOTONIC:
        return System.nanoTime();
      case CLOCK_PROCESS_CPUTIME:
      case CLOCK_THREAD_CPUTIME:
        // The guest's own time: elapsed since its invocation started.
        return c.elapsedNanos();
      default:
        return -1;
    }
  }

  private static int randomGet(Memory m, WasiContext c, long[] a) {
    long length = u32(a[1]);
    int buffer = GuestPointers.bytes(m, u32(a[0]), length);
    // In chunks: the guest may legitimately ask for all of its memory.
    byte[] chunk = new byte[(int) Math.min(length, RANDOM_CHUNK_BYTES)];
    SecureRandom random = RANDOM.get();
    for (long done = 0; done < length; done += chunk.length) {
      random.nextBytes(chunk);
      m.write(buffer + (int) done, chunk, 0, (int) Math.min(chunk.length, length - done));
    }
    return ESUCCESS;
  }

  // ---- descriptors ----

  private static int fdFdstatGet(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    int filetype;
    long base;
    long inheriting = 0;
    if (fd instanceof WasiContext.TreeFd) {
      FileTree.Node node = ((WasiContext.TreeFd) fd).node;
      filetype = node.isDirectory() ? FILETYPE_DIRECTORY : FILETYPE_REGULAR_FILE;
      base = node.isDirectory() ? DIRECTORY_RIGHTS : FILE_RIGHTS;
      // Directories pass on every right so that wasi-libc asks for what it means to do and
      // path_open can answer EROFS to writes instead of silently downgrading them.
      inheriting = node.isDirectory() ? ALL_RIGHTS : 0;
    } else {
      // Stdio are pipes: not a character device, so wasi-libc buffers stdout fully.
      filetype = FILETYPE_UNKNOWN;
      base = c.isStdin(fd) ? STDIN_RIGHTS : STDOUT_RIGHTS;
    }
    int ptr = GuestPointers.bytes(m, u32(a[1]), 24);
    m.writeByte(ptr, (byte) filetype);
    m.writeByte(ptr + 1, (byte) 0);
    m.writeShort(ptr + 2, (short) 0);
    m.writeI32(ptr + 4, 0);
    m.writeLong(ptr + 8, base);
    m.writeLong(ptr + 16, inheriting);
    return ESUCCESS;
  }

  private static int fdFdstatSetFlags(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (fd instanceof WasiContext.TreeFd && (a[1] & FDFLAGS_APPEND) != 0) {
      return EROFS;
    }
    return ESUCCESS;
  }

  private static int fdFilestatGet(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (fd instanceof WasiContext.TreeFd) {
      writeFilestat(m, a[1], ((WasiContext.TreeFd) fd).node);
    } else {
      writeFilestat(m, a[1], 0, FILETYPE_UNKNOWN, 0);
    }
    return ESUCCESS;
  }

  private static void writeFilestat(Memory m, long ptr, FileTree.Node node) {
    writeFilestat(
        m,
        ptr,
        node.inode(),
        node.isDirectory() ? FILETYPE_DIRECTORY : FILETYPE_REGULAR_FILE,
        node.size());
  }

  private static void writeFilestat(Memory m, long guestPtr, long inode, int filetype, long size) {
    int ptr = GuestPointers.bytes(m, u32(guestPtr), 64);
    m.writeLong(ptr, 0); // dev
    m.writeLong(ptr + 8, inode);
    m.writeLong(ptr + 16, filetype & 0xFF); // filetype and padding
    m.writeLong(ptr + 24, 1); // nlink
    m.writeLong(ptr + 32, size);
    m.writeLong(ptr + 40, 0); // atim
    m.writeLong(ptr + 48, 0); // mtim
    m.writeLong(ptr + 56, 0); // ctim
  }

  private static int fdPrestatGet(Memory m, WasiContext c, long[] a) {
    if (!isPreopen(c, (int) a[0])) {
      return EBADF;
    }
    int ptr = GuestPointers.bytes(m, u32(a[1]), 8);
    m.writeI32(ptr, 0); // tag: directory, and padding
    m.writeI32(ptr + 4, 1); // length of "/"
    return ESUCCESS;
  }

  private static int fdPrestatDirName(Memory m, WasiContext c, long[] a) {
    if (!isPreopen(c, (int) a[0])) {
      return EBADF;
    }
    long length = u32(a[2]);
    int buffer = GuestPointers.bytes(m, u32(a[1]), length);
    if (length < 1) {
      return ENAMETOOLONG;
    }
    m.writeByte(buffer, (byte) '/');
    return ESUCCESS;
  }

  private static boolean isPreopen(WasiContext c, int fd) {
    Object entry = c.fd(fd);
    return fd == WasiContext.PREOPEN
        && entry instanceof WasiContext.TreeFd
        && ((WasiContext.TreeFd) entry).parent == null;
  }

  private static int fdAdvise(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof WasiContext.TreeFd)) {
      return ESPIPE;
    }
    return ((WasiContext.TreeFd) fd).node.isDirectory() ? EBADF : ESUCCESS;
  }

  /** Answer to a write-like operation on a descriptor (allocate, set size or times). */
  private static int writeOnFd(WasiContext c, int fdNumber) {
    Object fd = c.fd(fdNumber);
    if (fd == null) {
      return EBADF;
    }
    return fd instanceof WasiContext.TreeFd ? EROFS : EINVAL;
  }

  private static int notSocket(WasiContext c, int fd) {
    return c.fd(fd) == null ? EBADF : ENOTSOCK;
  }

  private static int fdWrite(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    boolean stdout = c.isStdout(fd);
    if (!stdout && !c.isStderr(fd)) {
      return fd instanceof WasiContext.TreeFd && ((WasiContext.TreeFd) fd).node.isDirectory()
          ? EISDIR
          : EBADF;
    }
    long[] iovecs = GuestPointers.iovecs(m, u32(a[1]), u32(a[2]));
    int writtenAt = GuestPointers.bytes(m, u32(a[3]), 4);
    long written = 0;
    for (int i = 0; i < iovecs.length; i += 2) {
      int base = (int) iovecs[i];
      int len = (int) iovecs[i + 1];
      if (stdout) {
        c.stdoutBuffer().append(m, base, len);
      } else {
        c.stderrBuffer().append(m, base, len);
      }
      written += len;
    }
    m.writeI32(writtenAt, (int) written);
    return ESUCCESS;
  }

  private static int fdPwrite(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    return fd instanceof WasiContext.TreeFd ? EBADF : ESPIPE;
  }

  private static int fdRead(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (!c.isStdin(fd) && !(fd instanceof WasiContext.TreeFd)) {
      return EBADF;
    }
    if (fd instanceof WasiContext.TreeFd && ((WasiContext.TreeFd) fd).node.isDirectory()) {
      return EISDIR;
    }
    long[] iovecs = GuestPointers.iovecs(m, u32(a[1]), u32(a[2]));
    int readAt = GuestPointers.bytes(m, u32(a[3]), 4);
    long read = 0;
    if (c.isStdin(fd)) {
      for (int i = 0; i < iovecs.length && c.stdinRemaining() > 0; i += 2) {
        read += c.readStdin(m, (int) iovecs[i], iovecs[i + 1]);
      }
    } else {
      WasiContext.TreeFd file = (WasiContext.TreeFd) fd;
      read = readFile(m, file.node, file.position, iovecs);
      file.position += read;
    }
    m.writeI32(readAt, (int) read);
    return ESUCCESS;
  }

  private static int fdPread(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof WasiContext.TreeFd)) {
      return ESPIPE;
    }
    FileTree.Node node = ((WasiContext.TreeFd) fd).node;
    if (node.isDirectory()) {
      return EISDIR;
    }
    if (a[3] < 0) {
      return EINVAL;
    }
    long[] iovecs = GuestPointers.iovecs(m, u32(a[1]), u32(a[2]));
    int readAt = GuestPointers.bytes(m, u32(a[4]), 4);
    m.writeI32(readAt, (int) readFile(m, node, a[3], iovecs));
    return ESUCCESS;
  }

  /** Copies file content from {@code position} into checked iovecs; returns the count. */
  private static long readFile(Memory m, FileTree.Node node, long position, long[] iovecs) {
    byte[] content = node.content();
    long pos = position;
    for (int i = 0; i < iovecs.length && pos < content.length; i += 2) {
      int n = (int) Math.min(iovecs[i + 1], content.length - pos);
      m.write((int) iovecs[i], content, (int) pos, n);
      pos += n;
    }
    return pos - position;
  }

  private static int fdSeek(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof WasiContext.TreeFd)) {
      return ESPIPE;
    }
    WasiContext.TreeFd file = (WasiContext.TreeFd) fd;
    if (file.node.isDirectory()) {
      return EBADF;
    }
    long base;
    switch ((int) a[2]) {
      case 0:
        base = 0;
        break;
      case 1:
        base = file.position;
        break;
      case 2:
        base = file.node.size();
        break;
      default:
        return EINVAL;
    }
    int resultAt = GuestPointers.bytes(m, u32(a[3]), 8);
    long next = base + a[1];
    if (a[1] > 0 && next < base) {
      return EOVERFLOW;
    }
    if (next < 0) {
      return EINVAL;
    }
    file.position = next;
    m.writeLong(resultAt, next);
    return ESUCCESS;
  }

  private static int fdTell(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof WasiContext.TreeFd)) {
      return ESPIPE;
    }
    WasiContext.TreeFd file = (WasiContext.TreeFd) fd;
    if (file.node.isDirectory()) {
      return EBADF;
    }
    m.writeLong(GuestPointers.bytes(m, u32(a[1]), 8), file.position);
    return ESUCCESS;
  }

  private static int fdReaddir(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof WasiContext.TreeFd) || !((WasiContext.TreeFd) fd).node.isDirectory()) {
      return ENOTDIR;
    }
    WasiContext.TreeFd dir = (WasiContext.TreeFd) fd;
    long bufLen = u32(a[2]);
    int buf = GuestPointers.bytes(m, u32(a[1]), bufLen);
    int usedAt = GuestPointers.bytes(m, u32(a[4]), 4);
    long cookie = a[3];
    if (cookie < 0) {
      return EINVAL;
    }
    List<FileTree.Node> children = dir.node.children();
    long entries = children.size() + 2L;
    int used = 0;
    byte[] header = new byte[24];
    for (long i = cookie; i < entries && used < bufLen; i++) {
      byte[] name;
      long inode;
      int type;
      if (i == 0) {
        name = DOT;
        inode = dir.node.inode();
        type = FILETYPE_DIRECTORY;
      } else if (i == 1) {
        name = DOT_DOT;
        inode = dir.parent == null ? dir.node.inode() : dir.parent.inode();
        type = FILETYPE_DIRECTORY;
      } else {
        FileTree.Node child = children.get((int) (i - 2));
        name = child.nameBytes();
        inode = child.inode();
        type = child.isDirectory() ? FILETYPE_DIRECTORY : FILETYPE_REGULAR_FILE;
      }
      Arrays.fill(header, (byte) 0);
      putLong(header, 0, i + 1);
      putLong(header, 8, inode);
      putLong(header, 16, name.length);
      header[20] = (byte) type;
      // A truncated last entry tells wasi-libc to grow its buffer and ask again.
      int n = (int) Math.min(header.length, bufLen - used);
      m.write(buf + used, header, 0, n);
      used += n;
      n = (int) Math.min(name.length, bufLen - used);
      m.write(buf + used, name, 0, n);
      used += n;
    }
    m.writeI32(usedAt, used);
    return ESUCCESS;
  }

  private static final byte[] DOT = {'.'};
  private static final byte[] DOT_DOT = {'.', '.'};

  private static void putLong(byte[] b, int offset, long value) {
    for (int i = 0; i < 8; i++) {
      b[offset + i] = (byte) (value >>> (8 * i));
    }
  }

  // ---- paths ----

  /** Outcome of resolving a path against a directory descriptor. */
  private static final class Lookup {
    final int errno;
    final FileTree.Node node;
    final FileTree.Node parent;

    Lookup(int errno, FileTree.Node node, FileTree.Node parent) {
      this.errno = errno;
      this.node = node;
      this.parent = parent;
    }
  }

  private static Lookup lookup(WasiContext c, int dirFd, String path) {
    Object fd = c.fd(dirFd);
    if (fd == null) {
      return new Lookup(EBADF, null, null);
    }
    if (!(fd instanceof WasiContext.TreeFd) || !((WasiContext.TreeFd) fd).node.isDirectory()) {
      return new Lookup(ENOTDIR, null, null);
    }
    if (escapes(path)) {
      return new Lookup(ENOTCAPABLE, null, null);
    }
    if (path.isEmpty()) {
      return new Lookup(ENOENT, null, null);
    }
    List<FileTree.Node> stack = new ArrayList<>();
    WasiContext.TreeFd dir = (WasiContext.TreeFd) fd;
    stack.add(dir.node);
    for (String segment : path.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      FileTree.Node current = stack.get(stack.size() - 1);
      if (!current.isDirectory()) {
        return new Lookup(ENOTDIR, null, null);
      }
      if (segment.equals("..")) {
        stack.remove(stack.size() - 1);
        continue;
      }
      FileTree.Node child = current.child(segment);
      if (child == null) {
        return new Lookup(ENOENT, null, null);
      }
      stack.add(child);
    }
    FileTree.Node node = stack.get(stack.size() - 1);
    if (path.endsWith("/") && !node.isDirectory()) {
      return new Lookup(ENOTDIR, null, null);
    }
    FileTree.Node parent = stack.size() > 1 ? stack.get(stack.size() - 2) : dir.parent;
    return new Lookup(ESUCCESS, node, parent);
  }

  /** True if the path is absolute or climbs above the directory it is resolved against. */
  static boolean escapes(String path) {
    if (path.startsWith("/") || path.indexOf('\0') >= 0) {
      return true;
    }
    int depth = 0;
    for (String segment : path.split("/")) {
      if (segment.equals("..")) {
        if (--depth < 0) {
          return true;
        }
      } else if (!segment.isEmpty() && !segment.equals(".")) {
        depth++;
      }
    }
    return false;
  }

  private static String readPath(Memory m, long ptr, long len) {
    return new String(GuestPointers.path(m, u32(ptr), u32(len)), StandardCharsets.UTF_8);
  }

  /** Answer to creating, removing or changing something under a directory: never allowed. */
  private static int writeOnPath(Memory m, WasiContext c, long dirFd, long ptr, long len) {
    String path = readPath(m, ptr, len);
    Object fd = c.fd((int) dirFd);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof WasiContext.TreeFd) || !((WasiContext.TreeFd) fd).node.isDirectory()) {
      return ENOTDIR;
    }
    return escapes(path) ? ENOTCAPABLE : EROFS;
  }

  private static int writeOnPaths(
      Memory m, WasiContext c, long fd1, long ptr1, long len1, long fd2, long ptr2, long len2) {
    readPath(m, ptr2, len2);
    int first = writeOnPath(m, c, fd1, ptr1, len1);
    return first == EROFS ? writeOnPath(m, c, fd2, ptr2, len2) : first;
  }

  private static int pathFilestatGet(Memory m, WasiContext c, long[] a) {
    String path = readPath(m, a[2], a[3]);
    GuestPointers.bytes(m, u32(a[4]), 64);
    Lookup found = lookup(c, (int) a[0], path);
    if (found.errno != ESUCCESS) {
      return found.errno;
    }
    writeFilestat(m, a[4], found.node);
    return ESUCCESS;
  }

  private static int pathReadlink(Memory m, WasiContext c, long[] a) {
    String path = readPath(m, a[1], a[2]);
    GuestPointers.bytes(m, u32(a[3]), u32(a[4]));
    GuestPointers.bytes(m, u32(a[5]), 4);
    Lookup found = lookup(c, (int) a[0], path);
    // Nothing in the tree is a symbolic link.
    return found.errno != ESUCCESS ? found.errno : EINVAL;
  }

  private static int pathOpen(Memory m, WasiContext c, long[] a) {
    int dirFd = (int) a[0];
    String path = readPath(m, a[2], a[3]);
    int fdAt = GuestPointers.bytes(m, u32(a[8]), 4);
    int oflags = (int) a[4];
    long rights = a[5];
    int fdflags = (int) a[7];
    boolean writes =
        (oflags & (OFLAGS_CREAT | OFLAGS_TRUNC | OFLAGS_EXCL)) != 0
            || (rights & WRITE_RIGHTS) != 0
            || (fdflags & FDFLAGS_APPEND) != 0;
    if (writes) {
      int answer = writeOnPath(m, c, dirFd, a[2], a[3]);
      if (answer == EROFS && (oflags & OFLAGS_EXCL) != 0) {
        Lookup existing = lookup(c, dirFd, path);
        return existing.errno == ESUCCESS ? EEXIST : EROFS;
      }
      return answer;
    }
    Lookup found = lookup(c, dirFd, path);
    if (found.errno != ESUCCESS) {
      return found.errno;
    }
    if ((oflags & OFLAGS_DIRECTORY) != 0 && !found.node.isDirectory()) {
      return ENOTDIR;
    }
    int fd = c.open(new WasiContext.TreeFd(found.node, found.parent));
    if (fd < 0) {
      return EMFILE;
    }
    m.writeI32(fdAt, fd);
    return ESUCCESS;
  }

  private static long u32(long arg) {
    return GuestPointers.u32(arg);
  }

  // ---- poll ----

  private static int pollOneoff(Memory m, WasiContext c, long[] a) {
    long count = u32(a[2]);
    if (count == 0 || count > MAX_SUBSCRIPTIONS) {
      return EINVAL;
    }
    int in = GuestPointers.array(m, u32(a[0]), count, GuestPointers.SUBSCRIPTION_BYTES);
    int out = GuestPointers.array(m, u32(a[1]), count, GuestPointers.EVENT_BYTES);
    int eventsAt = GuestPointers.bytes(m, u32(a[3]), 4);
    int events = 0;
    long soonest = Long.MAX_VALUE;
    for (int i = 0; i < count; i++) {
      int sub = in + GuestPointers.SUBSCRIPTION_BYTES * i;
      int tag = m.read(sub + 8) & 0xFF;
      if (tag == EVENTTYPE_CLOCK) {
        long now = now(c, m.readInt(sub + 16));
        if (now < 0) {
          writeEvent(m, out + 32 * events++, m.readLong(sub), EINVAL, tag, 0);
          continue;
        }
        long timeout = m.readLong(sub + 24);
        boolean absolute = (m.readShort(sub + 40) & SUBSCRIPTION_CLOCK_ABSTIME) != 0;
        soonest = Math.min(soonest, Math.max(0, absolute ? timeout - now : timeout));
      } else if (tag == EVENTTYPE_FD_READ || tag == EVENTTYPE_FD_WRITE) {
        Object fd = c.fd(m.readInt(sub + 16));
        // Everything is in memory: descriptors are always ready.
        long available = 0;
        if (fd != null && tag == EVENTTYPE_FD_READ && c.isStdin(fd)) {
          available = c.stdinRemaining();
        } else if (fd instanceof WasiContext.TreeFd
            && !((WasiContext.TreeFd) fd).node.isDirectory()) {
          WasiContext.TreeFd file = (WasiContext.TreeFd) fd;
          available = Math.max(0, file.node.size() - file.position);
        }
        writeEvent(
            m, out + 32 * events++, m.readLong(sub), fd == null ? EBADF : ESUCCESS, tag, available);
      } else {
        writeEvent(m, out + 32 * events++, m.readLong(sub), EINVAL, tag, 0);
      }
    }
    if (events == 0 && soonest != Long.MAX_VALUE) {
      c.sleep(soonest);
      for (int i = 0; i < count; i++) {
        int sub = in + GuestPointers.SUBSCRIPTION_BYTES * i;
        if ((m.read(sub + 8) & 0xFF) != EVENTTYPE_CLOCK) {
          continue;
        }
        long now = now(c, m.readInt(sub + 16));
        long timeout = m.readLong(sub + 24);
        boolean absolute = (m.readShort(sub + 40) & SUBSCRIPTION_CLOCK_ABSTIME) != 0;
        long remaining = absolute ? timeout - now : timeout - soonest;
        if (remaining <= 0) {
          writeEvent(m, out + 32 * events++, m.readLong(sub), ESUCCESS, EVENTTYPE_CLOCK, 0);
        }
      }
    }
    m.writeI32(eventsAt, events);
    return ESUCCESS;
  }

  private static void writeEvent(
      Memory m, int ptr, long userdata, int errno, int type, long nbytes) {
    m.writeLong(ptr, userdata);
    m.writeShort(ptr + 8, (short) errno);
    m.writeShort(ptr + 10, (short) type);
    m.writeI32(ptr + 12, 0);
    m.writeLong(ptr + 16, nbytes);
    m.writeLong(ptr + 24, 0);
  }
}
