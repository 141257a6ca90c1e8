package dev.edgeweave.wasmhost.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {
  private static byte[] image(int pages, long seed) {
    byte[] image = new byte[pages * Memory.PAGE_SIZE];
    new Random(seed).nextBytes(image);
    return image;
  }

  @Test
  void aMemoryFromAnImageStartsEqualToIt() {
    byte[] image = image(2, 1);

    assertArrayEquals(image, GuestMemory.fromImage(MemoryImage.copyOf(image), 4).snapshot());
  }

  @Test
  void resetRestoresEveryKindOfWriteIncludingOnesStraddlingBlocks() {
    byte[] image = image(2, 2);
    GuestMemory memory = GuestMemory.fromImage(MemoryImage.copyOf(image), 2);
    Random random = new Random(3);
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 200; i++) {
        int addr = random.nextInt(image.length - 4096);
        switch (random.nextInt(9)) {
          case 0 -> memory.writeByte(addr, (byte) random.nextInt());
          case 1 -> memory.writeShort(addr, (short) random.nextInt());
          case 2 -> memory.writeI32(addr, random.nextInt());
          case 3 -> memory.writeLong(addr, random.nextLong());
          case 4 -> memory.writeF32(addr, random.nextFloat());
          case 5 -> memory.writeF64(addr, random.nextDouble());
          case 6 -> memory.write(addr, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
          case 7 -> memory.fill((byte) 7, addr, addr + random.nextInt(3000));
          default -> memory.copy(addr, random.nextInt(image.length - 3000), random.nextInt(3000));
        }
      }
      // Stores that end exactly past a block boundary.
      memory.writeLong((1 << GuestMemory.BLOCK_SHIFT) * 5 - 1, -1L);
      memory.writeI32((1 << GuestMemory.BLOCK_SHIFT) * 9 - 3, -1);

      assertTrue(memory.resetTo(MemoryImage.copyOf(image)));
      assertArrayEquals(image, memory.snapshot(), "round " + round);
    }
  }

  @Test
  void growingBeyondTheMaximumIsRefusedAndRemembered() {
    GuestMemory memory = GuestMemory.fromImage(MemoryImage.copyOf(new byte[Memory.PAGE_SIZE]), 3);

    assertEquals(1, memory.grow(2));
    assertEquals(3, memory.pages());
    assertFalse(memory.limitHit());
    assertEquals(-1, memory.grow(1));
    assertTrue(memory.limitHit());
    assertEquals(3, memory.pages());
  }

  @Test
  void growingPastWhatOneJavaArrayHoldsIsRefusedEvenUnderAHigherLimit() {
    GuestMemory memory = GuestMemory.blank(1, 65536);

    assertEquals(-1, memory.grow(40_000));
    assertTrue(memory.limitHit());
    assertEquals(1, memory.pages());
  }

  @Test
  void aGrownMemoryIsNotReset() {
    byte[] image = new byte[Memory.PAGE_SIZE];
    GuestMemory memory = GuestMemory.fromImage(MemoryImage.copyOf(image), 3);
    memory.grow(1);
    memory.writeI32(Memory.PAGE_SIZE + 8, 42);

    assertTrue(memory.grown());
    assertFalse(memory.resetTo(MemoryImage.copyOf(image)));
    assertEquals(42, memory.readInt(Memory.PAGE_SIZE + 8));
  }

  @Test
  void accessesOutOfBoundsTrap() {
    GuestMemory memory = GuestMemory.blank(1, 1);

    assertThrows(WasmRuntimeException.class, () -> memory.readInt(Memory.PAGE_SIZE - 2));
    assertThrows(WasmRuntimeException.class, () -> memory.writeLong(-4, 1));
    assertThrows(WasmRuntimeException.class, () -> memory.read(Memory.PAGE_SIZE));
    assertThrows(
        WasmRuntimeException.class, () -> memory.write(Memory.PAGE_SIZE - 1, new byte[2], 0, 2));
    assertThrows(WasmRuntimeException.class, () -> memory.fill((byte) 1, 10, Memory.PAGE_SIZE + 1));
  }

  @Test
  void valuesAreLittleEndian() {
    GuestMemory memory = GuestMemory.blank(1, 1);
    memory.writeI32(0, 0x04030201);

    assertEquals(1, memory.read(0));
    assertEquals(4, memory.read(3));
    assertEquals(0x0201, memory.readShort(0));
  }
}
