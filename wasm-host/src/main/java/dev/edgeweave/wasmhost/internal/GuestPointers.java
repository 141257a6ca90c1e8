package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.Memory;

/**
 * Checks what a guest passes to a host function (pointers, lengths, counts) against the guest's
 * memory before the host allocates, copies or loops on it. Every WASI import goes through here: a
 * range outside the memory is refused with {@code EFAULT}, as wasmtime and the other reference
 * hosts answer, before anything was read, written or allocated.
 */
final class GuestPointers {
  /** The longest path a guest may pass (Linux's PATH_MAX); longer ones get ENAMETOOLONG. */
  static final int MAX_PATH_BYTES = 4096;

  /** Iovecs per read or write call (Linux's IOV_MAX); more get EINVAL, as readv/writev do. */
  static final int MAX_IOVECS = 1024;

  /** Sizes of the WASI structures the host reads or writes. */
  static final int IOVEC_BYTES = 8;

  static final int SUBSCRIPTION_BYTES = 48;
  static final int EVENT_BYTES = 32;

  private GuestPointers() {}

  /**
   * Ends a host function with an errno. Preallocated and without a stack trace: a guest can throw
   * one per call.
   */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    static final Refused EFAULT = new Refused(Wasi.EFAULT);
    static final Refused EINVAL = new Refused(Wasi.EINVAL);
    static final Refused ENAMETOOLONG = new Refused(Wasi.ENAMETOOLONG);
    static final Refused EILSEQ = new Refused(Wasi.EILSEQ);

    private final int errno;

    private Refused(int errno) {
      super("errno " + errno, null, false, false);
      this.errno = errno;
    }

    int errno() {
      return errno;
    }
  }

  /** A guest's i32 argument as the unsigned 32-bit value WASI pointers and sizes are. */
  static long u32(long arg) {
    return arg & 0xFFFFFFFFL;
  }

  /** Bytes of the guest's memory; 0 if the module has none. */
  static long memorySize(Memory memory) {
    return memory == null ? 0 : (long) memory.pages() * Memory.PAGE_SIZE;
  }

  /**
   * The address of {@code length} bytes at {@code pointer}, if they lie within the guest's memory;
   * otherwise refused with EFAULT. Both are unsigned (see {@link #u32}); a negative value is never
   * in range.
   */
  static int bytes(Memory memory, long pointer, long length) {
    if (pointer < 0 || length < 0 || pointer + length > memorySize(memory)) {
      throw Refused.EFAULT;
    }
    return (int) pointer;
  }

  /** The address of {@code count} elements of {@code elementBytes} each at {@code pointer}. */
  static int array(Memory memory, long pointer, long count, int elementBytes) {
    if (count < 0 || count > memorySize(memory)) {
      throw Refused.EFAULT;
    }
    return bytes(memory, pointer, count * elementBytes);
  }

  /**
   * Reads and checks an iovec array ({@code count} entries of base and length at {@code iovs}): the
   * array and every buffer it names lie within memory, and together they hold at most {@code
   * Integer.MAX_VALUE} bytes (the result must fit wasm32's ssize_t). Returns base and length of
   * each entry, in order, as {@code [base0, len0, base1, len1, ...]}.
   */
  static long[] iovecs(Memory memory, long iovs, long count) {
    if (count > MAX_IOVECS) {
      throw Refused.EINVAL;
    }
    int at = array(memory, iovs, count, IOVEC_BYTES);
    long[] entries = new long[(int) count * 2];
    long total = 0;
    for (int i = 0; i < count; i++) {
      long base = u32(memory.readInt(at + IOVEC_BYTES * i));
      long length = u32(memory.readInt(at + IOVEC_BYTES * i + 4));
      bytes(memory, base, length);
      total += length;
      entries[2 * i] = base;
      entries[2 * i + 1] = length;
    }
    if (total > Integer.MAX_VALUE) {
      throw Refused.EINVAL;
    }
    return entries;
  }

  /** The path of {@code length} bytes at {@code pointer}, checked, as bytes. */
  static byte[] path(Memory memory, long pointer, long length) {
    if (length > MAX_PATH_BYTES) {
      throw Refused.ENAMETOOLONG;
    }
    int at = bytes(memory, pointer, length);
    return length == 0 ? new byte[0] : memory.readBytes(at, (int) length);
  }
}
