package dev.edgeweave.wasmhost.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Memory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
  private static final byte[] IMAGE = new byte[Memory.PAGE_SIZE];
  private static final MemoryPools POOLS = new MemoryPools(1L << 30, Duration.ofHours(1));

  static {
    IMAGE[100] = 42;
  }

  @Test
  void aReleasedMemoryComesBackRestoredToTheImage() {
    MemoryPool pool = POOLS.create(1, 4, MemoryImage.copyOf(IMAGE), 2);
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
    MemoryPool pool = POOLS.create(1, 4, MemoryImage.copyOf(IMAGE), 2);
    GuestMemory memory = pool.acquire();
    memory.grow(1);

    pool.release(memory);

    assertEquals(0, pool.idleCount());
    assertNotSame(memory, pool.acquire());
  }

  @Test
  void thePoolKeepsAtMostItsSize() {
    MemoryPool pool = POOLS.create(1, 4, MemoryImage.copyOf(IMAGE), 2);
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
    MemoryPool pool = POOLS.create(1, 4, null, 8);
    GuestMemory memory = pool.acquire();

    pool.release(memory);

    assertEquals(0, pool.idleCount());
    assertArrayEquals(new byte[Memory.PAGE_SIZE], pool.acquire().snapshot());
  }

  @Test
  void pooledBytesCountIdleMemoriesAndAcquiringGivesThemBack() {
    MemoryPools pools = new MemoryPools(1L << 30, Duration.ofHours(1));
    MemoryPool pool = pools.create(1, 4, MemoryImage.copyOf(IMAGE), 2);
    GuestMemory memory = pool.acquire();

    pool.release(memory);
    assertEquals(memory.footprint(), pools.pooledBytes());

    pool.acquire();
    assertEquals(0, pools.pooledBytes());
  }

  @Test
  void aMemoryThatWouldPassTheNodeWideBoundIsDropped() {
    long oneMemory = POOLS.create(1, 4, MemoryImage.copyOf(IMAGE), 1).acquire().footprint();
    MemoryPools pools = new MemoryPools(oneMemory, Duration.ofHours(1));
    MemoryPool first = pools.create(1, 4, MemoryImage.copyOf(IMAGE), 2);
    MemoryPool second = pools.create(1, 4, MemoryImage.copyOf(IMAGE), 2);

    first.release(first.acquire());
    second.release(second.acquire());

    assertEquals(1, first.idleCount());
    assertEquals(0, second.idleCount());
    assertEquals(oneMemory, pools.pooledBytes());
  }

  @Test
  void aSweepDropsMemoriesIdleLongerThanTheTimeoutAndKeepsFreshOnes() throws Exception {
    MemoryPools pools = new MemoryPools(1L << 30, Duration.ofMillis(1));
    MemoryPool pool = pools.create(1, 4, MemoryImage.copyOf(IMAGE), 2);
    pool.release(pool.acquire());
    Thread.sleep(5);

    pools.sweep();

    assertEquals(0, pool.idleCount());
    assertEquals(0, pools.pooledBytes());
  }

  @Test
  void aCollectedPoolGivesItsBytesBack() throws Exception {
    MemoryPools pools = new MemoryPools(1L << 30, Duration.ofHours(1));
    MemoryPool pool = pools.create(1, 4, MemoryImage.copyOf(IMAGE), 2);
    pool.release(pool.acquire());
    assertTrue(pools.pooledBytes() > 0);

    pool = null;
    for (int i = 0; i < 100 && pools.pooledBytes() > 0; i++) {
      System.gc();
      Thread.sleep(10);
      pools.sweep();
    }

    assertEquals(0, pools.pooledBytes());
  }
}
