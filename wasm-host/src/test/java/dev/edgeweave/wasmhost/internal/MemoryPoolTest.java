package dev.edgeweave.wasmhost.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.dylibso.chicory.runtime.Memory;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
  private static final byte[] IMAGE = new byte[Memory.PAGE_SIZE];

  static {
    IMAGE[100] = 42;
  }

  @Test
  void aReleasedMemoryComesBackRestoredToTheImage() {
    MemoryPool pool = new MemoryPool(1, 4, MemoryImage.copyOf(IMAGE), 2);
    GuestMemory memory = pool.acquire();
    memory.writeI32(100, -1);
    memory.writeI32(60_000, 7);

    pool.release(memory);
    GuestMemory again = pool.acquire();

    assertSame(memory, again);
    assertArrayEquals(IMAGE, again.snapshot());
  }

  @Test
  void aGrownMemoryIsDropped() {
    MemoryPool pool = new MemoryPool(1, 4, MemoryImage.copyOf(IMAGE), 2);
    GuestMemory memory = pool.acquire();
    memory.grow(1);

    pool.release(memory);

    assertEquals(0, pool.idleCount());
    assertNotSame(memory, pool.acquire());
  }

  @Test
  void thePoolKeepsAtMostItsSize() {
    MemoryPool pool = new MemoryPool(1, 4, MemoryImage.copyOf(IMAGE), 2);
    GuestMemory a = pool.acquire();
    GuestMemory b = pool.acquire();
    GuestMemory c = pool.acquire();

    pool.release(a);
    pool.release(b);
    pool.release(c);

    assertEquals(2, pool.idleCount());
  }

  @Test
  void withoutAnImageNothingIsPooledAndMemoriesStartBlank() {
    MemoryPool pool = new MemoryPool(1, 4, null, 8);
    GuestMemory memory = pool.acquire();

    pool.release(memory);

    assertEquals(0, pool.idleCount());
    assertArrayEquals(new byte[Memory.PAGE_SIZE], pool.acquire().snapshot());
  }
}
