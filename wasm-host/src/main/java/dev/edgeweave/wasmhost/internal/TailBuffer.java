package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.Memory;
import java.nio.charset.StandardCharsets;

/** Keeps the last {@code capacity} bytes written (a guest's stderr), never fails. */
final class TailBuffer {
  private final int capacity;
  private byte[] bytes = new byte[0];
  private int length;
  private long total;

  TailBuffer(int capacity) {
    this.capacity = capacity;
  }

  /** Appends {@code len} bytes of guest memory at {@code addr}, once they are checked. */
  void append(Memory memory, int addr, int len) {
    GuestPointers.bytes(memory, addr, len);
    if (len == 0) {
      return;
    }
    total += len;
    if (capacity == 0) {
      return;
    }
    int keep = Math.min(len, capacity);
    int from = addr + (len - keep);
    makeRoom(keep);
    if (memory instanceof GuestMemory) {
      ((GuestMemory) memory).readInto(from, bytes, length, keep);
    } else {
      System.arraycopy(memory.readBytes(from, keep), 0, bytes, length, keep);
    }
    length += keep;
  }

  /** Appends host bytes (a log line the guest asked for, already bounded). */
  void append(byte[] data) {
    total += data.length;
    if (capacity == 0 || data.length == 0) {
      return;
    }
    int keep = Math.min(data.length, capacity);
    makeRoom(keep);
    System.arraycopy(data, data.length - keep, bytes, length, keep);
    length += keep;
  }

  private void makeRoom(int keep) {
    if (bytes.length < 2 * capacity && length + keep > bytes.length) {
      byte[] larger = new byte[Math.min(2 * capacity, Math.max(length + keep, 256))];
      System.arraycopy(bytes, 0, larger, 0, length);
      bytes = larger;
    }
    if (length + keep > bytes.length) {
      // Full: keep the newest bytes so that the tail survives.
      int retain = Math.min(length, capacity - keep);
      System.arraycopy(bytes, length - retain, bytes, 0, retain);
      length = retain;
    }
  }

  long total() {
    return total;
  }

  /** The last {@code max} bytes as text. */
  String tail(int max) {
    int n = Math.min(max, length);
    return new String(bytes, length - n, n, StandardCharsets.UTF_8);
  }
}
