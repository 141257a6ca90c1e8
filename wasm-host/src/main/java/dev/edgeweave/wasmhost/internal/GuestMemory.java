package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A linear memory in one flat array that records which 1 KiB blocks were written, so that a pooled
 * memory can be brought back to its initial image by copying only those blocks.
 *
 * <p>Not shared and not thread-safe: one instance, one thread, at a time.
 */
public final class GuestMemory implements Memory {
  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle DOUBLE =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

  static final int BLOCK_SHIFT = 10;

  /** The most pages a Java byte array can hold. */
  static final int MAX_ARRAY_PAGES = (Integer.MAX_VALUE - 8) / PAGE_SIZE;

  // A store of at most 8 bytes marks only the block it starts in; restoring a block therefore
  // also restores the first bytes of the next one, where such a store may have spilled.
  private static final int SPILL = 8;

  private final int initialPages;
  private final int maximumPages;
  private byte[] buffer;
  private byte[] dirty;
  private int pages;
  private boolean grown;
  private boolean limitHit;
  private boolean preinitialized;
  private DataSegment[] dataSegments = new DataSegment[0];

  private GuestMemory(int initialPages, int maximumPages, byte[] buffer, boolean preinitialized) {
    if (initialPages < 0 || maximumPages < initialPages) {
      throw new IllegalArgumentException(
          "memory limits must satisfy 0 <= initial <= maximum, were "
              + initialPages
              + " and "
              + maximumPages);
    }
    this.initialPages = initialPages;
    this.maximumPages = maximumPages;
    this.buffer = buffer;
    this.pages = initialPages;
    this.dirty = new byte[buffer.length >>> BLOCK_SHIFT];
    this.preinitialized = preinitialized;
  }

  /** A zeroed memory that Chicory initializes (data segments) itself. */
  public static GuestMemory blank(int initialPages, int maximumPages) {
    return new GuestMemory(initialPages, maximumPages, new byte[Memory.bytes(initialPages)], false);
  }

  /** A memory that starts as {@code image}, data segments already applied. */
  public static GuestMemory fromImage(MemoryImage image, int maximumPages) {
    if (image.size() % PAGE_SIZE != 0) {
      throw new IllegalArgumentException("image size must be a whole number of pages");
    }
    return new GuestMemory(image.size() / PAGE_SIZE, maximumPages, image.newBuffer(), true);
  }

  /** True once a {@code memory.grow} was refused because it would pass the maximum. */
  public boolean limitHit() {
    return limitHit;
  }

  /** Bytes of heap this memory holds: its content and its dirty-block map. */
  public long footprint() {
    return (long) buffer.length + dirty.length;
  }

  /** True once the memory grew past its initial size. */
  public boolean grown() {
    return grown;
  }

  /**
   * Brings the memory back to {@code image} by copying the blocks written since the last reset.
   * Returns false, and leaves the memory as it is, if it grew (such a memory is not reused).
   */
  public boolean resetTo(MemoryImage image) {
    if (grown || image.size() != buffer.length) {
      return false;
    }
    byte[] d = dirty;
    int blocks = d.length;
    for (int b = 0; b < blocks; b++) {
      if (d[b] != 0) {
        int start = b << BLOCK_SHIFT;
        int end = start + (1 << BLOCK_SHIFT);
        // Coalesce runs of dirty blocks into one copy.
        while (b + 1 < blocks && d[b + 1] != 0) {
          d[b] = 0;
          b++;
          end += 1 << BLOCK_SHIFT;
        }
        d[b] = 0;
        image.restore(buffer, start, Math.min(end + SPILL, buffer.length));
      }
    }
    limitHit = false;
    preinitialized = true;
    dataSegments = new DataSegment[0];
    return true;
  }

  /** Copies the current content; used to take the initial image. */
  public byte[] snapshot() {
    return Arrays.copyOf(buffer, Memory.bytes(pages));
  }

  private static ChicoryException outOfBounds(int addr, int size, int limit) {
    return new WasmRuntimeException(
        "out of bounds memory access: attempted to access address: "
            + Integer.toUnsignedString(addr)
            + " but limit is: "
            + limit
            + " and size: "
            + size);
  }

  private void checkRange(int addr, int size) {
    if (addr < 0 || size < 0 || (long) addr + size > buffer.length) {
      throw outOfBounds(addr, size, buffer.length);
    }
  }

  private void markRange(int addr, int size) {
    if (size > 0) {
      Arrays.fill(dirty, addr >>> BLOCK_SHIFT, ((addr + size - 1) >>> BLOCK_SHIFT) + 1, (byte) 1);
    }
  }

  @Override
  public int pages() {
    return pages;
  }

  @Override
  public int grow(int size) {
    int prev = pages;
    long next = (long) prev + size;
    // One Java array holds the memory: it cannot reach 2 GiB, whatever the limit says.
    if (size < 0 || next > maximumPages || next > MAX_ARRAY_PAGES) {
      limitHit = true;
      return -1;
    }
    if (size == 0) {
      return prev;
    }
    buffer = Arrays.copyOf(buffer, Memory.bytes((int) next));
    dirty = new byte[buffer.length >>> BLOCK_SHIFT];
    pages = (int) next;
    grown = true;
    return prev;
  }

  @Override
  public int initialPages() {
    return initialPages;
  }

  @Override
  public int maximumPages() {
    return maximumPages;
  }

  @Override
  public boolean shared() {
    return false;
  }

  @Override
  @SuppressWarnings("removal")
  public Object lock(int address) {
    return this;
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, int expected, long timeout) {
    throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, long expected, long timeout) {
    throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  @SuppressWarnings("removal")
  public int notify(int address, int maxThreads) {
    return 0;
  }

  @Override
  public void initialize(Instance instance, DataSegment[] segments) {
    initialize(instance, segments, 0);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] segments, int memoryIndex) {
    this.dataSegments = segments == null ? new DataSegment[0] : segments;
    if (preinitialized) {
      // The image already holds the active segments.
      preinitialized = false;
      return;
    }
    for (DataSegment s : dataSegments) {
      if (s instanceof ActiveDataSegment) {
        ActiveDataSegment segment = (ActiveDataSegment) s;
        if (segment.index() != memoryIndex) {
          continue;
        }
        int offset =
            (int)
                ConstantEvaluators.computeConstantValue(instance, segment.offsetInstructions())[0];
        byte[] data = segment.data();
        if (offset < 0 || (long) offset + data.length > buffer.length) {
          throw new UninstantiableException("out of bounds memory access");
        }
        write(offset, data, 0, data.length);
      }
    }
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    byte[] data = dataSegments[segmentId].data();
    if (offset < 0 || size < 0 || (long) offset + size > data.length) {
      throw outOfBounds(offset, size, data.length);
    }
    write(dest, data, offset, size);
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    checkRange(addr, size);
    System.arraycopy(data, offset, buffer, addr, size);
    markRange(addr, size);
  }

  @Override
  public byte read(int addr) {
    try {
      return buffer[addr];
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 1, buffer.length);
    }
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    checkRange(addr, len);
    return Arrays.copyOfRange(buffer, addr, addr + len);
  }

  /** Copies {@code len} bytes at {@code addr} into {@code dest}; no intermediate array. */
  public void readInto(int addr, byte[] dest, int destOffset, int len) {
    checkRange(addr, len);
    System.arraycopy(buffer, addr, dest, destOffset, len);
  }

  @Override
  public void writeI32(int addr, int data) {
    try {
      INT.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 4, buffer.length);
    }
    dirty[addr >>> BLOCK_SHIFT] = 1;
  }

  @Override
  public int readInt(int addr) {
    try {
      return (int) INT.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 4, buffer.length);
    }
  }

  @Override
  public void writeLong(int addr, long data) {
    try {
      LONG.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 8, buffer.length);
    }
    dirty[addr >>> BLOCK_SHIFT] = 1;
  }

  @Override
  public long readLong(int addr) {
    try {
      return (long) LONG.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 8, buffer.length);
    }
  }

  @Override
  public void writeShort(int addr, short data) {
    try {
      SHORT.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 2, buffer.length);
    }
    dirty[addr >>> BLOCK_SHIFT] = 1;
  }

  @Override
  public short readShort(int addr) {
    try {
      return (short) SHORT.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 2, buffer.length);
    }
  }

  @Override
  public long readU16(int addr) {
    return readShort(addr) & 0xFFFFL;
  }

  @Override
  public void writeByte(int addr, byte data) {
    try {
      buffer[addr] = data;
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 1, buffer.length);
    }
    dirty[addr >>> BLOCK_SHIFT] = 1;
  }

  @Override
  public void writeF32(int addr, float data) {
    try {
      FLOAT.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 4, buffer.length);
    }
    dirty[addr >>> BLOCK_SHIFT] = 1;
  }

  @Override
  public long readF32(int addr) {
    return readInt(addr);
  }

  @Override
  public float readFloat(int addr) {
    try {
      return (float) FLOAT.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 4, buffer.length);
    }
  }

  @Override
  public void writeF64(int addr, double data) {
    try {
      DOUBLE.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 8, buffer.length);
    }
    dirty[addr >>> BLOCK_SHIFT] = 1;
  }

  @Override
  public double readDouble(int addr) {
    try {
      return (double) DOUBLE.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 8, buffer.length);
    }
  }

  @Override
  public long readF64(int addr) {
    return readLong(addr);
  }

  @Override
  public void zero() {
    if (preinitialized) {
      return;
    }
    fill((byte) 0, 0, buffer.length);
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    int size = toIndex - fromIndex;
    checkRange(fromIndex, size);
    Arrays.fill(buffer, fromIndex, toIndex, value);
    markRange(fromIndex, size);
  }

  @Override
  public void copy(int dest, int src, int size) {
    checkRange(dest, size);
    checkRange(src, size);
    System.arraycopy(buffer, src, buffer, dest, size);
    markRange(dest, size);
  }

  @Override
  public void drop(int segment) {
    dataSegments[segment] = PassiveDataSegment.EMPTY;
  }
}
