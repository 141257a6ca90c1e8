package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.Memory;
import java.util.Arrays;

/** Stdout of one invocation: grows on demand, fails the guest past its limit. */
final class OutputBuffer {
  private final long limit;
  private byte[] bytes;
  private int length;

  OutputBuffer(long limit, int initialCapacity) {
    this.limit = limit;
    this.bytes = new byte[(int) Math.min(limit, initialCapacity)];
  }

  /**
   * Appends {@code len} bytes of guest memory at {@code addr}; grows only once they are checked.
   */
  void append(Memory memory, int addr, int len) {
    GuestPointers.bytes(memory, addr, len);
    if (length + (long) len > limit) {
      throw new OutputLimitExceeded(limit);
    }
    ensureCapacity(length + len);
    if (memory instanceof GuestMemory) {
      ((GuestMemory) memory).readInto(addr, bytes, length, len);
    } else {
      System.arraycopy(memory.readBytes(addr, len), 0, bytes, length, len);
    }
    length += len;
  }

  private void ensureCapacity(int needed) {
    if (needed > bytes.length) {
      long doubled = Math.max((long) bytes.length * 2, needed);
      bytes = Arrays.copyOf(bytes, (int) Math.min(doubled, limit));
    }
  }

  int length() {
    return length;
  }

  byte[] array() {
    return bytes;
  }
}
