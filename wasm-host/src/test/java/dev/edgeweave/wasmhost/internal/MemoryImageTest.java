package dev.edgeweave.wasmhost.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Memory;
import dev.edgeweave.wasmhost.Limits;
import dev.edgeweave.wasmhost.TestGuests;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MemoryImageTest {
  /** The memory as the segments make it, applied one after the other into a full array. */
  private static byte[] applied(int size, List<MemoryImage.Segment> segments) {
    byte[] memory = new byte[size];
    for (MemoryImage.Segment s : segments) {
      System.arraycopy(s.data(), 0, memory, (int) s.offset(), s.data().length);
    }
    return memory;
  }

  private static List<MemoryImage.Segment> randomSegments(Random random, int size, int count) {
    List<MemoryImage.Segment> segments = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] data = new byte[random.nextInt(3000)];
      random.nextBytes(data);
      segments.add(new MemoryImage.Segment(random.nextInt(size - data.length), data));
    }
    return segments;
  }

  @Test
  void anImageHoldsWhatItsSegmentsSetLaterSegmentsWinningAndZeroElsewhere() {
    Random random = new Random(7);
    for (int round = 0; round < 50; round++) {
      int size = 4 * Memory.PAGE_SIZE;
      List<MemoryImage.Segment> segments = randomSegments(random, size, random.nextInt(12));

      MemoryImage image = MemoryImage.of(size, segments);

      assertArrayEquals(applied(size, segments), image.newBuffer(), "round " + round);
    }
  }

  @Test
  void restoringAnyRangeBringsBackExactlyThatRange() {
    Random random = new Random(8);
    int size = 2 * Memory.PAGE_SIZE;
    List<MemoryImage.Segment> segments = randomSegments(random, size, 8);
    MemoryImage image = MemoryImage.of(size, segments);
    byte[] expected = applied(size, segments);
    for (int round = 0; round < 200; round++) {
      byte[] buffer = new byte[size];
      Arrays.fill(buffer, (byte) 0x5A);
      int from = random.nextInt(size);
      int to = from + random.nextInt(size - from + 1);

      image.restore(buffer, from, to);

      for (int i = 0; i < size; i++) {
        byte want = i >= from && i < to ? expected[i] : 0x5A;
        assertEquals(want, buffer[i], "byte " + i + " after restoring [" + from + ", " + to + ")");
      }
    }
  }

  @Test
  void aPooledMemoryResetFromASparseImageMatchesTheImage() {
    Random random = new Random(9);
    int size = 2 * Memory.PAGE_SIZE;
    MemoryImage image = MemoryImage.of(size, randomSegments(random, size, 6));
    GuestMemory memory = GuestMemory.fromImage(image, 2);
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 100; i++) {
        memory.writeLong(random.nextInt(size - 8), random.nextLong());
      }

      assertTrue(memory.resetTo(image));
      assertArrayEquals(image.newBuffer(), memory.snapshot(), "round " + round);
    }
  }

  @Test
  void theImageOfAModuleCostsItsDataNotItsMemory() throws Exception {
    // 256 pages (16 MiB) of memory, 11 bytes of data at 1 MiB.
    byte[] wasm =
        TestGuests.watText(
            "sparse-data",
            "(module (memory 256) (data (i32.const 1048576) \"eleven byte\")"
                + " (func (export \"_start\")))");

    ModuleArtifact artifact = ModuleArtifact.compile(wasm, "sparse", Limits.defaults());

    assertEquals(256 * Memory.PAGE_SIZE, artifact.image().size());
    assertEquals(11, artifact.image().dataBytes());
    byte[] memory = artifact.image().newBuffer();
    assertEquals('e', memory[1048576]);
    assertEquals(0, memory[1048575]);
  }
}
