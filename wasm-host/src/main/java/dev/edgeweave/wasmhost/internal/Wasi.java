package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.edgeweave.wasmhost.internal.GuestPointers.Refused;
import dev.edgeweave.wasmhost.internal.WasiContext.DirFd;
import dev.edgeweave.wasmhost.internal.WasiContext.FileFd;
import dev.edgeweave.wasmhost.internal.WasiFiles.Dir;
import dev.edgeweave.wasmhost.internal.WasiFiles.Inode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
 * Edgeweave's own {@code wasi_snapshot_preview1}: stdio in memory, the component's files preopened
 * as {@code /} (read-only, or with transient writes a copy-on-write overlay of the invocation),
 * clocks, randomness and exit. Sockets and symbolic links are not offered; those functions answer
 * with the errno the reference hosts give, so any WASI program links.
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
  static final int EFBIG = 22;
  static final int EINVAL = 28;
  static final int EILSEQ = 25;
  static final int EISDIR = 31;
  static final int EMFILE = 33;
  static final int ENAMETOOLONG = 37;
  static final int ENOENT = 44;
  static final int ENOSPC = 51;
  static final int ENOSYS = 52;
  static final int ENOTDIR = 54;
  static final int ENOTEMPTY = 55;
  static final int ENOTSOCK = 57;
  static final int ENOTSUP = 58;
  static final int EOVERFLOW = 61;
  static final int EPERM = 63;
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
  static final long RIGHT_PATH_CREATE_DIRECTORY = 1L << 9;
  static final long RIGHT_PATH_CREATE_FILE = 1L << 10;
  static final long RIGHT_PATH_LINK_SOURCE = 1L << 11;
  static final long RIGHT_PATH_LINK_TARGET = 1L << 12;
  static final long RIGHT_PATH_OPEN = 1L << 13;
  static final long RIGHT_FD_READDIR = 1L << 14;
  static final long RIGHT_PATH_READLINK = 1L << 15;
  static final long RIGHT_PATH_RENAME_SOURCE = 1L << 16;
  static final long RIGHT_PATH_RENAME_TARGET = 1L << 17;
  static final long RIGHT_PATH_FILESTAT_GET = 1L << 18;
  static final long RIGHT_PATH_FILESTAT_SET_SIZE = 1L << 19;
  static final long RIGHT_PATH_FILESTAT_SET_TIMES = 1L << 20;
  static final long RIGHT_FD_FILESTAT_GET = 1L << 21;
  static final long RIGHT_FD_FILESTAT_SET_SIZE = 1L << 22;
  static final long RIGHT_FD_FILESTAT_SET_TIMES = 1L << 23;
  static final long RIGHT_PATH_SYMLINK = 1L << 24;
  static final long RIGHT_PATH_REMOVE_DIRECTORY = 1L << 25;
  static final long RIGHT_PATH_UNLINK_FILE = 1L << 26;
  static final long RIGHT_POLL_FD_READWRITE = 1L << 27;

  static final long STDIN_RIGHTS = RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE;
  static final long STDOUT_RIGHTS =
      RIGHT_FD_WRITE | RIGHT_FD_DATASYNC | RIGHT_FD_SYNC | RIGHT_POLL_FD_READWRITE;

  /** What a regular file descriptor can do; FD_READ and FD_WRITE as it was opened. */
  static final long FILE_RIGHTS =
      RIGHT_FD_DATASYNC
          | RIGHT_FD_READ
          | RIGHT_FD_SEEK
          | RIGHT_FD_FDSTAT_SET_FLAGS
          | RIGHT_FD_SYNC
          | RIGHT_FD_TELL
          | RIGHT_FD_WRITE
          | RIGHT_FD_ADVISE
          | RIGHT_FD_ALLOCATE
          | RIGHT_FD_FILESTAT_GET
          | RIGHT_FD_FILESTAT_SET_SIZE
          | RIGHT_FD_FILESTAT_SET_TIMES
          | RIGHT_POLL_FD_READWRITE;

  /**
   * What a directory descriptor can do. Reported the same on a read-only tree, as the reference
   * hosts do: programs ask for what they mean to do and get EPERM, instead of a descriptor that
   * silently cannot write.
   */
  static final long DIRECTORY_RIGHTS =
      RIGHT_FD_DATASYNC
          | RIGHT_FD_FDSTAT_SET_FLAGS
          | RIGHT_FD_SYNC
          | RIGHT_PATH_CREATE_DIRECTORY
          | RIGHT_PATH_CREATE_FILE
          | RIGHT_PATH_LINK_SOURCE
          | RIGHT_PATH_LINK_TARGET
          | RIGHT_PATH_OPEN
          | RIGHT_FD_READDIR
          | RIGHT_PATH_READLINK
          | RIGHT_PATH_RENAME_SOURCE
          | RIGHT_PATH_RENAME_TARGET
          | RIGHT_PATH_FILESTAT_GET
          | RIGHT_PATH_FILESTAT_SET_SIZE
          | RIGHT_PATH_FILESTAT_SET_TIMES
          | RIGHT_FD_FILESTAT_GET
          | RIGHT_FD_FILESTAT_SET_TIMES
          | RIGHT_PATH_SYMLINK
          | RIGHT_PATH_REMOVE_DIRECTORY
          | RIGHT_PATH_UNLINK_FILE;

  static final long PREOPEN_RIGHTS = DIRECTORY_RIGHTS;
  static final long INHERITED_RIGHTS = DIRECTORY_RIGHTS | FILE_RIGHTS;

  private static final int OFLAGS_CREAT = 1;
  private static final int OFLAGS_DIRECTORY = 2;
  private static final int OFLAGS_EXCL = 4;
  private static final int OFLAGS_TRUNC = 8;
  private static final int FDFLAGS_APPEND = 1;
  private static final int FDFLAGS_DSYNC = 2;
  private static final int FDFLAGS_NONBLOCK = 4;
  private static final int FDFLAGS_RSYNC = 8;
  private static final int FDFLAGS_SYNC = 16;
  private static final int FSTFLAGS_ATIM = 1;
  private static final int FSTFLAGS_ATIM_NOW = 2;
  private static final int FSTFLAGS_MTIM = 4;
  private static final int FSTFLAGS_MTIM_NOW = 8;

  /** The device number of the tree (wasmtime reports 1 for its files, 0 for stdio). */
  private static final long TREE_DEVICE = 1;

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
    def(f, "fd_allocate", Wasi::fdAllocate, I32, I64, I64);
    def(f, "fd_close", (m, c, a) -> c.close((int) a[0]) ? ESUCCESS : EBADF, I32);
    def(f, "fd_datasync", Wasi::fdSync, I32);
    def(f, "fd_fdstat_get", Wasi::fdFdstatGet, I32, I32);
    def(f, "fd_fdstat_set_flags", Wasi::fdFdstatSetFlags, I32, I32);
    def(f, "fd_fdstat_set_rights", Wasi::fdFdstatSetRights, I32, I64, I64);
    def(f, "fd_filestat_get", Wasi::fdFilestatGet, I32, I32);
    def(f, "fd_filestat_set_size", Wasi::fdFilestatSetSize, I32, I64);
    def(f, "fd_filestat_set_times", Wasi::fdFilestatSetTimes, I32, I64, I64, I32);
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
    def(f, "fd_sync", Wasi::fdSync, I32);
    def(f, "fd_tell", Wasi::fdTell, I32, I32);
    def(f, "fd_write", Wasi::fdWrite, I32, I32, I32, I32);
    def(f, "path_create_directory", Wasi::pathCreateDirectory, I32, I32, I32);
    def(f, "path_filestat_get", Wasi::pathFilestatGet, I32, I32, I32, I32, I32);
    def(
        f,
        "path_filestat_set_times",
        Wasi::pathFilestatSetTimes,
        I32,
        I32,
        I32,
        I32,
        I64,
        I64,
        I32);
    def(f, "path_link", Wasi::pathLink, I32, I32, I32, I32, I32, I32, I32);
    def(f, "path_open", Wasi::pathOpen, I32, I32, I32, I32, I32, I64, I64, I32, I32);
    def(f, "path_readlink", Wasi::pathReadlink, I32, I32, I32, I32, I32, I32);
    def(f, "path_remove_directory", Wasi::pathRemoveDirectory, I32, I32, I32);
    def(f, "path_rename", Wasi::pathRename, I32, I32, I32, I32, I32, I32);
    def(f, "path_symlink", Wasi::pathSymlink, I32, I32, I32, I32, I32);
    def(f, "path_unlink_file", Wasi::pathUnlinkFile, I32, I32, I32);
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

  /** The open directory {@code fd}, or an errno: EBADF if not open or stdio, ENOTDIR if a file. */
  private static Object dirFd(WasiContext c, int fd) {
    Object entry = c.fd(fd);
    if (entry instanceof DirFd) {
      return entry;
    }
    return entry instanceof FileFd ? ENOTDIR : EBADF;
  }

  private static int fdFdstatGet(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    int ptr = GuestPointers.bytes(m, u32(a[1]), 24);
    if (fd == null) {
      return EBADF;
    }
    int filetype;
    int flags = 0;
    long base;
    long inheriting;
    if (fd instanceof DirFd dir) {
      filetype = FILETYPE_DIRECTORY;
      base = dir.base;
      inheriting = dir.inheriting;
    } else if (fd instanceof FileFd file) {
      filetype = FILETYPE_REGULAR_FILE;
      flags =
          (file.append ? FDFLAGS_APPEND : 0)
              | (file.nonblock ? FDFLAGS_NONBLOCK : 0)
              | file.syncFlags;
      base = file.base;
      inheriting = file.inheriting;
    } else {
      // Stdio are pipes: not a character device, so wasi-libc buffers stdout fully.
      filetype = FILETYPE_UNKNOWN;
      base = c.isStdin(fd) ? STDIN_RIGHTS : STDOUT_RIGHTS;
      inheriting = base;
    }
    m.writeByte(ptr, (byte) filetype);
    m.writeByte(ptr + 1, (byte) 0);
    m.writeShort(ptr + 2, (short) flags);
    m.writeI32(ptr + 4, 0);
    m.writeLong(ptr + 8, base);
    m.writeLong(ptr + 16, inheriting);
    return ESUCCESS;
  }

  private static int fdFdstatSetFlags(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (!(fd instanceof FileFd file)) {
      // As wasmtime: only a file's flags can change.
      return EBADF;
    }
    int flags = (int) a[1] & 0xFFFF;
    if ((flags & (FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC)) != 0) {
      return EINVAL;
    }
    if ((file.base & RIGHT_FD_FDSTAT_SET_FLAGS) == 0) {
      return ENOTCAPABLE;
    }
    file.append = (flags & FDFLAGS_APPEND) != 0;
    file.nonblock = (flags & FDFLAGS_NONBLOCK) != 0;
    return ESUCCESS;
  }

  /** Rights can only be dropped, as preview1 defines; stdio keeps its fixed rights. */
  private static int fdFdstatSetRights(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    long base = a[1];
    long inheriting = a[2];
    if (fd instanceof DirFd dir) {
      if ((base & ~dir.base) != 0 || (inheriting & ~dir.inheriting) != 0) {
        return ENOTCAPABLE;
      }
      dir.base = base;
      dir.inheriting = inheriting;
      return ESUCCESS;
    }
    if (fd instanceof FileFd file) {
      if ((base & ~file.base) != 0 || (inheriting & ~file.inheriting) != 0) {
        return ENOTCAPABLE;
      }
      file.base = base;
      file.inheriting = inheriting;
      return ESUCCESS;
    }
    return fd == null ? EBADF : ESUCCESS;
  }

  private static int fdFilestatGet(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    int ptr = GuestPointers.bytes(m, u32(a[1]), 64);
    if (fd == null) {
      return EBADF;
    }
    Inode node = inode(fd);
    if (node == null) {
      writeFilestat(m, ptr, 0, 0, FILETYPE_UNKNOWN, 0, 0, 0, 0, 0);
    } else {
      writeFilestat(m, ptr, node);
    }
    return ESUCCESS;
  }

  private static Inode inode(Object fd) {
    if (fd instanceof DirFd dir) {
      return dir.dir;
    }
    if (fd instanceof FileFd file) {
      return file.file;
    }
    return null;
  }

  private static void writeFilestat(Memory m, int ptr, Inode node) {
    writeFilestat(
        m,
        ptr,
        TREE_DEVICE,
        node.ino,
        node.isDirectory() ? FILETYPE_DIRECTORY : FILETYPE_REGULAR_FILE,
        node.nlink,
        node.size(),
        node.atim,
        node.mtim,
        node.ctim);
  }

  private static void writeFilestat(
      Memory m,
      int ptr,
      long dev,
      long inode,
      int filetype,
      long nlink,
      long size,
      long atim,
      long mtim,
      long ctim) {
    m.writeLong(ptr, dev);
    m.writeLong(ptr + 8, inode);
    m.writeLong(ptr + 16, filetype & 0xFF); // filetype and padding
    m.writeLong(ptr + 24, nlink);
    m.writeLong(ptr + 32, size);
    m.writeLong(ptr + 40, atim);
    m.writeLong(ptr + 48, mtim);
    m.writeLong(ptr + 56, ctim);
  }

  private static int fdFilestatSetSize(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (!(fd instanceof FileFd file)) {
      return fd instanceof DirFd ? EISDIR : EBADF;
    }
    if ((file.base & RIGHT_FD_FILESTAT_SET_SIZE) == 0) {
      return ENOTCAPABLE;
    }
    if (!c.files().writable()) {
      return EPERM;
    }
    if ((file.base & RIGHT_FD_WRITE) == 0) {
      // Like ftruncate on a descriptor not open for writing.
      return EINVAL;
    }
    return c.files().resize(file.file, a[1]);
  }

  private static int fdAllocate(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (!(fd instanceof FileFd file)) {
      return fd instanceof DirFd ? EBADF : fd == null ? EBADF : ESPIPE;
    }
    if ((file.base & RIGHT_FD_ALLOCATE) == 0) {
      return ENOTCAPABLE;
    }
    long offset = a[1];
    long len = a[2];
    if (offset < 0 || len <= 0) {
      return EINVAL;
    }
    if (!c.files().writable()) {
      return EPERM;
    }
    if ((file.base & RIGHT_FD_WRITE) == 0) {
      return EBADF;
    }
    long end = offset + len;
    if (end < 0 || end > WasiFiles.MAX_FILE_BYTES) {
      return EFBIG;
    }
    return end > file.file.size() ? c.files().resize(file.file, end) : ESUCCESS;
  }

  private static int fdFilestatSetTimes(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    Inode node = inode(fd);
    if (node == null) {
      return EBADF;
    }
    long rights = fd instanceof DirFd dir ? dir.base : ((FileFd) fd).base;
    if ((rights & RIGHT_FD_FILESTAT_SET_TIMES) == 0) {
      return ENOTCAPABLE;
    }
    return setTimes(c, node, a[1], a[2], (int) a[3]);
  }

  /** utimensat: checks the flags, then (on a writable tree) sets the times. */
  private static int setTimes(WasiContext c, Inode node, long atim, long mtim, int fstflags) {
    if ((fstflags & ~0xF) != 0
        || (fstflags & (FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW)) == (FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW)
        || (fstflags & (FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW))
            == (FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW)) {
      return EINVAL;
    }
    if (!c.files().writable()) {
      return EPERM;
    }
    long now = WasiFiles.now();
    if ((fstflags & FSTFLAGS_ATIM) != 0) {
      node.atim = atim;
    } else if ((fstflags & FSTFLAGS_ATIM_NOW) != 0) {
      node.atim = now;
    }
    if ((fstflags & FSTFLAGS_MTIM) != 0) {
      node.mtim = mtim;
    } else if ((fstflags & FSTFLAGS_MTIM_NOW) != 0) {
      node.mtim = now;
    }
    if (fstflags != 0) {
      node.ctim = now;
    }
    return ESUCCESS;
  }

  private static int fdPrestatGet(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    int ptr = GuestPointers.bytes(m, u32(a[1]), 8);
    if (!(fd instanceof DirFd dir) || !dir.preopen) {
      return EBADF;
    }
    m.writeI32(ptr, 0); // tag: directory, and padding
    m.writeI32(ptr + 4, 1); // length of "/"
    return ESUCCESS;
  }

  private static int fdPrestatDirName(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    long length = u32(a[2]);
    int buffer = GuestPointers.bytes(m, u32(a[1]), length);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof DirFd dir) || !dir.preopen) {
      // As wasmtime (and its legacy implementation) answer for a descriptor that is no preopen.
      return ENOTDIR;
    }
    if (length < 1) {
      return ENAMETOOLONG;
    }
    m.writeByte(buffer, (byte) '/');
    return ESUCCESS;
  }

  private static int fdAdvise(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof FileFd file)) {
      return fd instanceof DirFd ? EBADF : ESPIPE;
    }
    if (a[1] < 0 || a[2] < 0 || (a[3] & 0xFF) > 5) {
      return EINVAL;
    }
    return (file.base & RIGHT_FD_ADVISE) == 0 ? ENOTCAPABLE : ESUCCESS;
  }

  private static int fdSync(Memory m, WasiContext c, long[] a) {
    // Everything is in memory: a sync of any open descriptor is done as soon as asked.
    return c.fd((int) a[0]) != null ? ESUCCESS : EBADF;
  }

  private static int notSocket(WasiContext c, int fd) {
    return c.fd(fd) == null ? EBADF : ENOTSOCK;
  }

  private static int fdWrite(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    long[] iovecs = GuestPointers.iovecs(m, u32(a[1]), u32(a[2]));
    int writtenAt = GuestPointers.bytes(m, u32(a[3]), 4);
    if (fd == null) {
      return EBADF;
    }
    if (fd instanceof FileFd file) {
      long position = file.append ? file.file.size() : file.position;
      long[] written = {0};
      int errno = writeFile(m, c, file, position, iovecs, written);
      if (errno != ESUCCESS && written[0] == 0) {
        return errno;
      }
      file.position = position + written[0];
      m.writeI32(writtenAt, (int) written[0]);
      return ESUCCESS;
    }
    boolean stdout = c.isStdout(fd);
    if (!stdout && !c.isStderr(fd)) {
      return EBADF;
    }
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
    long[] iovecs = GuestPointers.iovecs(m, u32(a[1]), u32(a[2]));
    int writtenAt = GuestPointers.bytes(m, u32(a[4]), 4);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof FileFd file)) {
      return fd instanceof DirFd ? EBADF : ESPIPE;
    }
    if (a[3] < 0) {
      return EINVAL;
    }
    // As Linux (and wasmtime): a descriptor in append mode writes at the end whatever the offset.
    long position = file.append ? file.file.size() : a[3];
    long[] written = {0};
    int errno = writeFile(m, c, file, position, iovecs, written);
    if (errno != ESUCCESS && written[0] == 0) {
      return errno;
    }
    m.writeI32(writtenAt, (int) written[0]);
    return ESUCCESS;
  }

  /**
   * Writes checked iovecs to a file at {@code position}; {@code written[0]} gets the count. Returns
   * an errno (a partial write reports its count, as write(2) does).
   */
  private static int writeFile(
      Memory m, WasiContext c, FileFd file, long position, long[] iovecs, long[] written) {
    if ((file.base & RIGHT_FD_WRITE) == 0) {
      return EBADF;
    }
    if (!c.files().writable()) {
      return EPERM;
    }
    long pos = position;
    for (int i = 0; i < iovecs.length; i += 2) {
      int len = (int) iovecs[i + 1];
      int errno = c.files().write(file.file, pos, m, (int) iovecs[i], len);
      if (errno != ESUCCESS) {
        return errno;
      }
      pos += len;
      written[0] += len;
    }
    return ESUCCESS;
  }

  private static int fdRead(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    long[] iovecs = GuestPointers.iovecs(m, u32(a[1]), u32(a[2]));
    int readAt = GuestPointers.bytes(m, u32(a[3]), 4);
    if (fd == null) {
      return EBADF;
    }
    long read = 0;
    if (c.isStdin(fd)) {
      for (int i = 0; i < iovecs.length && c.stdinRemaining() > 0; i += 2) {
        read += c.readStdin(m, (int) iovecs[i], iovecs[i + 1]);
      }
    } else if (fd instanceof FileFd file) {
      if ((file.base & RIGHT_FD_READ) == 0) {
        return EBADF;
      }
      read = readFile(m, file.file, file.position, iovecs);
      file.position += read;
    } else {
      // A directory, stdout or stderr: as wasmtime answers.
      return EBADF;
    }
    m.writeI32(readAt, (int) read);
    return ESUCCESS;
  }

  private static int fdPread(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    long[] iovecs = GuestPointers.iovecs(m, u32(a[1]), u32(a[2]));
    int readAt = GuestPointers.bytes(m, u32(a[4]), 4);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof FileFd file)) {
      return fd instanceof DirFd ? EBADF : ESPIPE;
    }
    if ((file.base & RIGHT_FD_READ) == 0) {
      return EBADF;
    }
    if (a[3] < 0) {
      return EINVAL;
    }
    m.writeI32(readAt, (int) readFile(m, file.file, a[3], iovecs));
    return ESUCCESS;
  }

  /** Copies file content from {@code position} into checked iovecs; returns the count. */
  private static long readFile(Memory m, WasiFiles.File file, long position, long[] iovecs) {
    byte[] content = file.array();
    long size = file.size();
    long pos = position;
    for (int i = 0; i < iovecs.length && pos < size; i += 2) {
      int n = (int) Math.min(iovecs[i + 1], size - pos);
      m.write((int) iovecs[i], content, (int) pos, n);
      pos += n;
    }
    return Math.max(0, pos - position);
  }

  private static int fdSeek(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    int resultAt = GuestPointers.bytes(m, u32(a[3]), 8);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof FileFd file)) {
      return fd instanceof DirFd ? EBADF : ESPIPE;
    }
    long offset = a[1];
    long next;
    switch ((int) a[2] & 0xFF) {
      case 0:
        next = offset;
        break;
      case 1:
        next = file.position + offset;
        if (offset > 0 && next < file.position) {
          return EOVERFLOW;
        }
        break;
      case 2:
        next = file.file.size() + offset;
        if (offset > 0 && next < 0) {
          return EOVERFLOW;
        }
        break;
      default:
        return EINVAL;
    }
    if (next < 0) {
      return EINVAL;
    }
    long needed = offset == 0 && (a[2] & 0xFF) == 1 ? RIGHT_FD_TELL | RIGHT_FD_SEEK : RIGHT_FD_SEEK;
    if ((file.base & needed) == 0) {
      return ENOTCAPABLE;
    }
    file.position = next;
    m.writeLong(resultAt, next);
    return ESUCCESS;
  }

  private static int fdTell(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    int resultAt = GuestPointers.bytes(m, u32(a[1]), 8);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof FileFd file)) {
      return fd instanceof DirFd ? EBADF : ESPIPE;
    }
    if ((file.base & RIGHT_FD_TELL) == 0) {
      return ENOTCAPABLE;
    }
    m.writeLong(resultAt, file.position);
    return ESUCCESS;
  }

  private static int fdReaddir(Memory m, WasiContext c, long[] a) {
    Object fd = c.fd((int) a[0]);
    long bufLen = u32(a[2]);
    int buf = GuestPointers.bytes(m, u32(a[1]), bufLen);
    int usedAt = GuestPointers.bytes(m, u32(a[4]), 4);
    if (fd == null) {
      return EBADF;
    }
    if (!(fd instanceof DirFd dir)) {
      return fd instanceof FileFd ? ENOTDIR : EBADF;
    }
    if ((dir.base & RIGHT_FD_READDIR) == 0) {
      return ENOTCAPABLE;
    }
    long cookie = a[3];
    if (cookie < 0) {
      return EINVAL;
    }
    List<Map.Entry<String, Inode>> children =
        cookie < Integer.MAX_VALUE ? c.files().list(dir.dir) : List.of();
    long entries = children.size() + 2L;
    int used = 0;
    byte[] header = new byte[24];
    for (long i = cookie; i < entries && used < bufLen; i++) {
      byte[] name;
      long inode;
      int type;
      if (i < 2) {
        // ".." reports the directory's own inode, as wasmtime does: its parent may be outside.
        name = i == 0 ? DOT : DOT_DOT;
        inode = dir.dir.ino;
        type = FILETYPE_DIRECTORY;
      } else {
        Map.Entry<String, Inode> child = children.get((int) (i - 2));
        name = child.getKey().getBytes(StandardCharsets.UTF_8);
        inode = child.getValue().ino;
        type = child.getValue().isDirectory() ? FILETYPE_DIRECTORY : FILETYPE_REGULAR_FILE;
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

  /**
   * A path resolved up to its last component against a directory descriptor: {@code dir} holds
   * {@code name}; a null name means the path names {@code dir} itself ("." or "a/..").
   */
  private record Resolved(int errno, DirFd at, Dir dir, String name, boolean trailingSlash) {
    Inode target(WasiContext c) {
      return name == null ? dir : dir.child(c.files(), name);
    }
  }

  /** Resolves all but the last component of {@code path}; checks the descriptor and the path. */
  private static Resolved resolve(WasiContext c, int dirFd, String path) {
    Object fd = dirFd(c, dirFd);
    if (fd instanceof Integer errno) {
      return new Resolved(errno, null, null, null, false);
    }
    DirFd at = (DirFd) fd;
    if (path.indexOf('\0') >= 0) {
      // No file name holds a NUL; wasmtime answers EINVAL.
      return new Resolved(EINVAL, at, null, null, false);
    }
    if (escapes(path)) {
      return new Resolved(ENOTCAPABLE, at, null, null, false);
    }
    if (path.isEmpty()) {
      return new Resolved(ENOENT, at, null, null, false);
    }
    List<String> segments = new ArrayList<>();
    for (String segment : path.split("/")) {
      if (!segment.isEmpty()) {
        segments.add(segment);
      }
    }
    boolean trailingSlash = path.endsWith("/");
    String last = segments.isEmpty() ? "." : segments.get(segments.size() - 1);
    boolean lastIsName = !last.equals(".") && !last.equals("..");
    int walk = lastIsName ? segments.size() - 1 : segments.size();
    List<Dir> stack = new ArrayList<>();
    stack.add(at.dir);
    for (int i = 0; i < walk; i++) {
      String segment = segments.get(i);
      if (segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        stack.remove(stack.size() - 1);
        continue;
      }
      Inode child = stack.get(stack.size() - 1).child(c.files(), segment);
      if (child == null) {
        return new Resolved(ENOENT, at, null, null, false);
      }
      if (!(child instanceof Dir d)) {
        return new Resolved(ENOTDIR, at, null, null, false);
      }
      stack.add(d);
    }
    Dir dir = stack.get(stack.size() - 1);
    return new Resolved(ESUCCESS, at, dir, lastIsName ? last : null, trailingSlash);
  }

  /** True if the path is absolute or climbs above the directory it is resolved against. */
  static boolean escapes(String path) {
    if (path.startsWith("/")) {
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

  /** The guest's path, checked; EILSEQ if it is not UTF-8, as wasmtime answers. */
  private static String readPath(Memory m, long ptr, long len) {
    byte[] bytes = GuestPointers.path(m, u32(ptr), u32(len));
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw Refused.EILSEQ;
    }
  }

  /** The inode a path names, or an errno as an Integer. */
  private static Object lookup(WasiContext c, int dirFd, String path, long right) {
    Resolved r = resolve(c, dirFd, path);
    if (r.at() != null && (r.at().base & right) == 0) {
      return ENOTCAPABLE;
    }
    if (r.errno() != ESUCCESS) {
      return r.errno();
    }
    Inode node = r.target(c);
    if (node == null) {
      return ENOENT;
    }
    if (r.trailingSlash() && !node.isDirectory()) {
      return ENOTDIR;
    }
    return node;
  }

  /**
   * Resolves the parent of a path about to be changed: checks the right on the descriptor, then
   * that the tree is writable (EPERM on a read-only tree, as wasmtime and Spin answer), then the
   * path. The errno is in the result.
   */
  private static Resolved forChange(WasiContext c, int dirFd, String path, long right) {
    Resolved r = resolve(c, dirFd, path);
    if (r.at() == null) {
      return r;
    }
    if ((r.at().base & right) == 0) {
      return new Resolved(ENOTCAPABLE, r.at(), null, null, false);
    }
    if (r.errno() == ENOTCAPABLE) {
      return r;
    }
    if (!c.files().writable()) {
      return new Resolved(EPERM, r.at(), null, null, false);
    }
    return r;
  }

  private static int pathFilestatGet(Memory m, WasiContext c, long[] a) {
    String path = readPath(m, a[2], a[3]);
    int ptr = GuestPointers.bytes(m, u32(a[4]), 64);
    Object found = lookup(c, (int) a[0], path, RIGHT_PATH_FILESTAT_GET);
    if (found instanceof Integer errno) {
      return errno;
    }
    writeFilestat(m, ptr, (Inode) found);
    return ESUCCESS;
  }

  private static int pathFilestatSetTimes(Memory m, WasiContext c, long[] a) {
    String path = readPath(m, a[2], a[3]);
    Object found = lookup(c, (int) a[0], path, RIGHT_PATH_FILESTAT_SET_TIMES);
    if (found instanceof Integer errno) {
      return errno;
    }
    return setTimes(c, (Inode) found, a[4], a[5], (int) a[6]);
  }

  private static int pathReadlink(Memory m, WasiContext c, long[] a) {
    String path = readPath(m, a[1], a[2]);
    GuestPointers.bytes(m, u32(a[3]), u32(a[4]));
    GuestPointers.bytes(m, u32(a[5]), 4);
    Object found = lookup(c, (int) a[0], path, RIGHT_PATH_READLINK);
    // Nothing in the tree is a symbolic link: readlink of anything else is EINVAL.
    return found instanceof Integer errno ? errno : EINVAL;
  }

  private static int pathSymlink(Memory m, WasiContext c, long[] a) {
    readPath(m, a[0], a[1]);
    String path = readPath(m, a[3], a[4]);
    Resolved r = forChange(c, (int) a[2], path, RIGHT_PATH_SYMLINK);
    if (r.errno() != ESUCCESS) {
      return r.errno();
    }
    if (r.name() == null || r.target(c) != null) {
      return EEXIST;
    }
    // A tree built from an app's files has no symbolic links, and the overlay makes none.
    return ENOTSUP;
  }

  private static int pathCreateDirectory(Memory m, WasiContext c, long[] a) {
    String path = readPath(m, a[1], a[2]);
    Resolved r = forChange(c, (int) a[0], path, RIGHT_PATH_CREATE_DIRECTORY);
    if (r.errno() != ESUCCESS) {
      return r.errno();
    }
    if (r.name() == null || r.target(c) != null) {
      return EEXIST;
    }
    if (r.dir().removed) {
      return ENOENT;
    }
    return c.files().create(r.dir(), r.name(), true) != null ? ESUCCESS : ENOSPC;
  }

  private static int pathRemoveDirectory(Memory m, WasiContext c, long[] a) {
    String path = readPath(m, a[1], a[2]);
    Resolved r = forChange(c, (int) a[0], path, RIGHT_PATH_REMOVE_DIRECTORY);
    if (r.errno() != ESUCCESS) {
      return r.errno();
    }
    if (r.name() == null) {
      // rmdir(".") or of the descriptor's own directory.
      return r.dir() == r.at().dir ? EINVAL : ENOTEMPTY;
    }
    Inode node = r.target(c);
    if (node == null) {
      return ENOENT;
    }
    if (!(node instanceof Dir dir)) {
      return ENOTDIR;
    }
    if (!dir.entries(c.files()).isEmpty()) {
      return ENOTEMPTY;
    }
    c.files().unlink(r.dir(), r.name());
    return ESUCCESS;
  }

  private static int pathUnlinkFile(Memory m, WasiContext c, long[] a) {
    String path = readPath(m, a[1], a[2]);
    Resolved r = forChange(c, (int) a[0], path, RIGHT_PATH_UNLINK_FILE);
    if (r.errno() != ESUCCESS) {
      return r.errno();
    }
    Inode node = r.target(c);
    if (node == null) {
      return ENOENT;
    }
    if (node.isDirectory()) {
      // As Linux answers unlink of a directory.
      return EISDIR;
    }
    if (r.trailingSlash()) {
      return ENOTDIR;
    }
    c.files().unlink(r.dir(), r.name());
    return ESUCCESS;
  }

  private static int pathLink(Memory m, WasiContext c, long[] a) {
    String from = readPath(m, a[2], a[3]);
    String to = readPath(m, a[5], a[6]);
    Resolved source = forChange(c, (int) a[0], from, RIGHT_PATH_LINK_SOURCE);
    if (source.errno() != ESUCCESS) {
      return source.errno();
    }
    Resolved target = forChange(c, (int) a[4], to, RIGHT_PATH_LINK_TARGET);
    if (target.errno() != ESUCCESS) {
      return target.errno();
    }
    Inode node = source.target(c);
    if (node == null) {
      return ENOENT;
    }
    if (node.isDirectory()) {
      // Hard links to directories are not allowed (POSIX leaves it to the system; Linux: EPERM).
      return EPERM;
    }
    if (source.trailingSlash()) {
      return ENOTDIR;
    }
    if (target.name() == null || target.target(c) != null) {
      return EEXIST;
    }
    if (target.trailingSlash()) {
      return ENOENT;
    }
    if (target.dir().removed) {
      return ENOENT;
    }
    return c.files().link(target.dir(), target.name(), node) ? ESUCCESS : ENOSPC;
  }

  private static int pathRename(Memory m, WasiContext c, long[] a) {
    String from = readPath(m, a[1], a[2]);
    String to = readPath(m, a[4], a[5]);
    Resolved source = forChange(c, (int) a[0], from, RIGHT_PATH_RENAME_SOURCE);
    if (source.errno() != ESUCCESS) {
      return source.errno();
    }
    Resolved target = forChange(c, (int) a[3], to, RIGHT_PATH_RENAME_TARGET);
    if (target.errno() != ESUCCESS) {
      return target.errno();
    }
    if (source.name() == null || target.name() == null) {
      // Renaming "." or ".." (or onto them): EBUSY on Linux for the root, EINVAL otherwise.
      return EINVAL;
    }
    Inode node = source.target(c);
    if (node == null) {
      return ENOENT;
    }
    if (!node.isDirectory() && (source.trailingSlash() || target.trailingSlash())) {
      return ENOTDIR;
    }
    Inode replaced = target.target(c);
    if (replaced == node) {
      return ESUCCESS;
    }
    if (node instanceof Dir dir && contains(c, dir, target.dir())) {
      // Moving a directory into itself.
      return EINVAL;
    }
    if (replaced != null) {
      if (replaced.isDirectory() && !node.isDirectory()) {
        return EISDIR;
      }
      if (!replaced.isDirectory() && node.isDirectory()) {
        return ENOTDIR;
      }
      if (replaced instanceof Dir d && !d.entries(c.files()).isEmpty()) {
        return ENOTEMPTY;
      }
    }
    if (target.dir().removed) {
      return ENOENT;
    }
    return c.files().rename(source.dir(), source.name(), target.dir(), target.name())
        ? ESUCCESS
        : ENOSPC;
  }

  /** True if {@code inner} is {@code dir} or lies below it. */
  private static boolean contains(WasiContext c, Dir dir, Dir inner) {
    if (dir == inner) {
      return true;
    }
    for (Inode child : dir.entries(c.files()).values()) {
      if (child instanceof Dir d && contains(c, d, inner)) {
        return true;
      }
    }
    return false;
  }

  private static int pathOpen(Memory m, WasiContext c, long[] a) {
    int dirFd = (int) a[0];
    String path = readPath(m, a[2], a[3]);
    int fdAt = GuestPointers.bytes(m, u32(a[8]), 4);
    int oflags = (int) a[4] & 0xFFFF;
    long rights = a[5];
    int fdflags = (int) a[7] & 0xFFFF;
    boolean create = (oflags & OFLAGS_CREAT) != 0;
    boolean truncate = (oflags & OFLAGS_TRUNC) != 0;
    boolean write = (rights & RIGHT_FD_WRITE) != 0;
    boolean directory = (oflags & OFLAGS_DIRECTORY) != 0;
    Resolved r = resolve(c, dirFd, path);
    if (r.at() == null) {
      return r.errno();
    }
    long dirRights = r.at().base;
    if ((dirRights & RIGHT_PATH_OPEN) == 0
        || (create && (dirRights & RIGHT_PATH_CREATE_FILE) == 0)
        || (truncate && (dirRights & RIGHT_PATH_FILESTAT_SET_SIZE) == 0)) {
      return ENOTCAPABLE;
    }
    if (r.errno() != ESUCCESS) {
      return r.errno();
    }
    if (directory && (create || truncate || (oflags & OFLAGS_EXCL) != 0)) {
      return EINVAL;
    }
    // As wasmtime: on a read-only tree, anything that would create, truncate or write is EPERM.
    if ((create || truncate || write) && !c.files().writable()) {
      return EPERM;
    }
    Inode node = r.target(c);
    if (node == null) {
      if (!create) {
        return ENOENT;
      }
      if (r.name() == null || r.trailingSlash()) {
        return EISDIR;
      }
      if (r.dir().removed) {
        return ENOENT;
      }
      node = c.files().create(r.dir(), r.name(), false);
      if (node == null) {
        return ENOSPC;
      }
    } else if (create && (oflags & OFLAGS_EXCL) != 0) {
      return EEXIST;
    }
    long inherited = r.at().inheriting;
    Object entry;
    if (node instanceof Dir dir) {
      if (write || truncate) {
        return EISDIR;
      }
      entry = new DirFd(dir, false, DIRECTORY_RIGHTS & inherited, inherited);
    } else {
      if (directory || r.trailingSlash()) {
        return ENOTDIR;
      }
      WasiFiles.File file = (WasiFiles.File) node;
      if (truncate) {
        int errno = c.files().resize(file, 0);
        if (errno != ESUCCESS) {
          return errno;
        }
      }
      // As wasmtime: readable unless opened only to write; writable if FD_WRITE was asked for.
      long base = FILE_RIGHTS & inherited;
      if ((rights & RIGHT_FD_READ) == 0 && write) {
        base &= ~RIGHT_FD_READ;
      }
      if (!write) {
        base &= ~RIGHT_FD_WRITE;
      }
      FileFd opened = new FileFd(file, base, base);
      opened.append = (fdflags & FDFLAGS_APPEND) != 0;
      opened.nonblock = (fdflags & FDFLAGS_NONBLOCK) != 0;
      // Everything is in memory, so every write is already as synchronized as asked.
      opened.syncFlags = fdflags & (FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC);
      entry = opened;
    }
    int fd = c.open(entry);
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
        } else if (fd instanceof FileFd file) {
          available = Math.max(0, file.file.size() - file.position);
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
