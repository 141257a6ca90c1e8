package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.Memory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files one invocation sees: the component's shared {@link FileTree}, read-only, or (with
 * transient writes) under a copy-on-write overlay that lives only as long as the invocation. The
 * shared tree is never changed: a file is copied the first time it is written, a directory's
 * entries the first time they are looked at, and what the overlay holds counts against a byte
 * budget before anything is allocated.
 */
final class WasiFiles {
  /** What one directory entry costs the budget besides its name (the node and map entry). */
  static final long ENTRY_COST = 128;

  /** The largest file: one Java array. */
  static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

  /** A file or directory of this invocation. */
  abstract static class Inode {
    final long ino;
    long atim;
    long mtim;
    long ctim;
    int nlink = 1;

    Inode(long ino, long time) {
      this.ino = ino;
      this.atim = time;
      this.mtim = time;
      this.ctim = time;
    }

    abstract boolean isDirectory();

    abstract long size();
  }

  /** A directory: its base directory's entries until it is first listed or looked into. */
  static final class Dir extends Inode {
    private FileTree.Node base;
    private TreeMap<String, Inode> entries;

    /** Removed from its parent: nothing can be created in it any more. */
    boolean removed;

    Dir(long ino, long time, FileTree.Node base) {
      super(ino, time);
      this.base = base;
    }

    @Override
    boolean isDirectory() {
      return true;
    }

    @Override
    long size() {
      return 0;
    }

    Map<String, Inode> entries(WasiFiles files) {
      if (entries == null) {
        entries = new TreeMap<>();
        if (base != null) {
          for (FileTree.Node child : base.children()) {
            entries.put(
                child.name(),
                child.isDirectory()
                    ? new Dir(child.inode(), files.baseTime, child)
                    : new File(child.inode(), files.baseTime, child.content()));
          }
          base = null;
        }
      }
      return entries;
    }

    Inode child(WasiFiles files, String name) {
      return entries(files).get(name);
    }
  }

  /** A regular file: the shared content until first written, then a private copy. */
  static final class File extends Inode {
    private byte[] data;
    private int size;
    private boolean shared;

    /** Descriptors open on it: an unlinked file keeps its bytes (and their cost) until 0. */
    int opens;

    /** Unlinked and closed: its bytes no longer count. */
    private boolean freed;

    File(long ino, long time, byte[] sharedContent) {
      super(ino, time);
      this.data = sharedContent;
      this.size = sharedContent.length;
      this.shared = true;
    }

    @Override
    boolean isDirectory() {
      return false;
    }

    @Override
    long size() {
      return size;
    }

    /** Bytes this file holds privately (what it costs the budget). */
    long privateBytes() {
      return shared ? 0 : data.length;
    }

    /**
     * Copies up to {@code len} bytes from {@code position} into {@code into}; returns the count.
     */
    int read(long position, byte[] into, int offset, int len) {
      if (position >= size) {
        return 0;
      }
      int n = (int) Math.min(len, size - position);
      System.arraycopy(data, (int) position, into, offset, n);
      return n;
    }

    byte[] array() {
      return data;
    }
  }

  private final boolean writable;
  private final long budget;
  private final long baseTime;
  private long used;
  private long nextInode;
  private final Dir root;

  /**
   * @param writable whether the guest may change the tree (transient writes)
   * @param budget bytes the overlay may hold: copied and new file content, and entries
   */
  WasiFiles(FileTree base, boolean writable, long budget) {
    this.writable = writable;
    this.budget = budget;
    this.baseTime = base.createdNanos();
    this.nextInode = base.maxInode() + 1;
    this.root = new Dir(base.root().inode(), baseTime, base.root());
  }

  Dir root() {
    return root;
  }

  boolean writable() {
    return writable;
  }

  long used() {
    return used;
  }

  static long now() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  // ---- budget ----

  /** Takes {@code bytes} from the budget; false (nothing taken) if they do not fit. */
  private boolean charge(long bytes) {
    if (bytes > budget - used) {
      return false;
    }
    used += bytes;
    return true;
  }

  private void refund(long bytes) {
    used -= bytes;
  }

  static long entryCost(String name) {
    return ENTRY_COST + name.getBytes(StandardCharsets.UTF_8).length;
  }

  // ---- changes; each returns an errno ----

  /** Adds a new empty file or directory named {@code name} to {@code dir}. */
  Inode create(Dir dir, String name, boolean directory) {
    if (dir.removed) {
      return null;
    }
    if (!charge(entryCost(name))) {
      return null;
    }
    long time = now();
    Inode node =
        directory ? new Dir(nextInode++, time, null) : new File(nextInode++, time, new byte[0]);
    if (directory) {
      ((Dir) node).entries = new TreeMap<>();
    } else {
      ((File) node).shared = false;
    }
    dir.entries(this).put(name, node);
    dir.mtim = time;
    dir.ctim = time;
    return node;
  }

  /** Links an existing inode under a new name (a hard link or the target of a rename). */
  boolean link(Dir dir, String name, Inode node) {
    if (!charge(entryCost(name))) {
      return false;
    }
    dir.entries(this).put(name, node);
    node.nlink++;
    long time = now();
    node.ctim = time;
    dir.mtim = time;
    dir.ctim = time;
    return true;
  }

  /** Removes {@code name} from {@code dir}; frees the inode's bytes once it has no name left. */
  void unlink(Dir dir, String name) {
    Inode node = dir.entries(this).remove(name);
    if (node == null) {
      return;
    }
    refund(entryCost(name));
    node.nlink--;
    long time = now();
    node.ctim = time;
    dir.mtim = time;
    dir.ctim = time;
    if (node.nlink == 0) {
      if (node instanceof Dir d) {
        d.removed = true;
      }
      if (node instanceof File f) {
        freeIfUnused(f);
      }
    }
  }

  /**
   * Moves the entry {@code fromName} of {@code from} to {@code toName} of {@code to}, replacing
   * what was there (the caller checked that it may); false, with nothing changed, if the budget
   * cannot hold the new name.
   */
  boolean rename(Dir from, String fromName, Dir to, String toName) {
    Inode replaced = to.entries(this).get(toName);
    if (replaced == null && !charge(entryCost(toName))) {
      return false;
    }
    if (replaced != null) {
      unlink(to, toName);
      charge(entryCost(toName));
    }
    Inode node = from.entries(this).remove(fromName);
    refund(entryCost(fromName));
    to.entries(this).put(toName, node);
    long time = now();
    node.ctim = time;
    from.mtim = time;
    from.ctim = time;
    to.mtim = time;
    to.ctim = time;
    return true;
  }

  /**
   * Makes {@code file} hold at least {@code capacity} bytes of private content (copying shared
   * content first), charging the budget; returns an errno.
   */
  private int reserve(File file, long capacity) {
    if (capacity > MAX_FILE_BYTES) {
      return Wasi.EFBIG;
    }
    if (!file.shared && file.data.length >= capacity) {
      return Wasi.ESUCCESS;
    }
    long current = file.privateBytes();
    long wanted = Math.max(capacity, file.size);
    // Grow geometrically while the budget allows, so appends stay linear.
    long grown = Math.min(Math.max(wanted, current * 2), MAX_FILE_BYTES);
    if (!charge(grown - current)) {
      grown = wanted;
      if (!charge(grown - current)) {
        return Wasi.ENOSPC;
      }
    }
    file.data = Arrays.copyOf(file.data, (int) grown);
    file.shared = false;
    return Wasi.ESUCCESS;
  }

  /** A descriptor on {@code file} was opened. */
  void opened(File file) {
    file.opens++;
  }

  /** A descriptor on {@code file} was closed. */
  void closed(File file) {
    file.opens--;
    freeIfUnused(file);
  }

  /** An unlinked file nobody has open gives its bytes back to the budget. */
  private void freeIfUnused(File file) {
    if (file.nlink == 0 && file.opens == 0 && !file.freed) {
      refund(file.privateBytes());
      file.freed = true;
    }
  }

  /**
   * Writes {@code len} bytes of guest memory at {@code addr} (checked by the caller) to the file at
   * {@code position}; returns an errno. The budget is charged before anything is allocated.
   */
  int write(File file, long position, Memory memory, int addr, int len) {
    long end = position + len;
    if (position < 0 || end < position || end > MAX_FILE_BYTES) {
      return Wasi.EFBIG;
    }
    if (len == 0) {
      return Wasi.ESUCCESS;
    }
    int errno = reserve(file, end);
    if (errno != Wasi.ESUCCESS) {
      return errno;
    }
    if (position > file.size) {
      Arrays.fill(file.data, file.size, (int) position, (byte) 0);
    }
    if (memory instanceof GuestMemory guest) {
      guest.readInto(addr, file.data, (int) position, len);
    } else {
      System.arraycopy(memory.readBytes(addr, len), 0, file.data, (int) position, len);
    }
    file.size = (int) Math.max(file.size, end);
    touch(file);
    return Wasi.ESUCCESS;
  }

  /** Sets the file's size: cut, or extended with zeros; returns an errno. */
  int resize(File file, long size) {
    if (size < 0 || size > MAX_FILE_BYTES) {
      return Wasi.EFBIG;
    }
    if (size > file.size) {
      int errno = reserve(file, size);
      if (errno != Wasi.ESUCCESS) {
        return errno;
      }
      Arrays.fill(file.data, file.size, (int) size, (byte) 0);
    } else if (size < file.size && file.shared) {
      // Cutting shared content needs no copy beyond what is kept.
      int errno = reserve(file, size);
      if (errno != Wasi.ESUCCESS) {
        return errno;
      }
    }
    file.size = (int) size;
    touch(file);
    return Wasi.ESUCCESS;
  }

  private static void touch(File file) {
    long time = now();
    file.mtim = time;
    file.ctim = time;
  }

  /** The names in {@code dir}, sorted, as a snapshot. */
  List<Map.Entry<String, Inode>> list(Dir dir) {
    return new ArrayList<>(dir.entries(this).entrySet());
  }
}
