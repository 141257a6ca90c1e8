package dev.edgeweave.wasmhost.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A module's linear memory right after instantiation: the bytes its data segments set, zero
 * everywhere else. Only those bytes are held (in runs, merged where segments touch or overlap), so
 * an image costs what the module's data costs, whatever the size of the memory it describes.
 */
public final class MemoryImage {
  /** An active data segment: its bytes at its offset. */
  record Segment(long offset, byte[] data) {}

  private final int size;
  private final int[] starts;
  private final byte[][] runs;

  private MemoryImage(int size, int[] starts, byte[][] runs) {
    this.size = size;
    this.starts = starts;
    this.runs = runs;
  }

  /**
   * The image of a memory of {@code size} bytes after {@code segments} were applied in order (a
   * later one wins where two overlap). Each segment must lie within the memory.
   */
  static MemoryImage of(int size, List<Segment> segments) {
    List<long[]> spans = new ArrayList<>();
    for (Segment s : segments) {
      if (s.offset() < 0 || s.offset() + s.data().length > size) {
        throw new IllegalArgumentException("segment outside the memory");
      }
      if (s.data().length > 0) {
        spans.add(new long[] {s.offset(), s.offset() + s.data().length});
      }
    }
    spans.sort(Comparator.comparingLong(span -> span[0]));
    List<long[]> merged = new ArrayList<>();
    for (long[] span : spans) {
      long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && span[0] <= last[1]) {
        last[1] = Math.max(last[1], span[1]);
      } else {
        merged.add(span.clone());
      }
    }
    int[] starts = new int[merged.size()];
    byte[][] runs = new byte[merged.size()][];
    for (int i = 0; i < starts.length; i++) {
      starts[i] = (int) merged.get(i)[0];
      runs[i] = new byte[(int) (merged.get(i)[1] - merged.get(i)[0])];
    }
    MemoryImage image = new MemoryImage(size, starts, runs);
    for (Segment s : segments) {
      if (s.data().length > 0) {
        int run = image.runAt((int) s.offset());
        System.arraycopy(s.data(), 0, runs[run], (int) s.offset() - starts[run], s.data().length);
      }
    }
    return image;
  }

  /** The image of a memory whose content is exactly {@code content}. */
  static MemoryImage copyOf(byte[] content) {
    return of(content.length, List.of(new Segment(0, content.clone())));
  }

  /** The index of the run holding {@code address}, or of the first run after it. */
  private int runAt(int address) {
    int i = Arrays.binarySearch(starts, address);
    if (i >= 0) {
      return i;
    }
    int before = -i - 2;
    return before >= 0 && address < starts[before] + runs[before].length ? before : before + 1;
  }

  /** Bytes of the memory the image describes. */
  public int size() {
    return size;
  }

  /** Bytes the image holds: those its data segments set. */
  public long dataBytes() {
    long total = 0;
    for (byte[] run : runs) {
      total += run.length;
    }
    return total;
  }

  /** A new memory buffer with this content. */
  byte[] newBuffer() {
    byte[] buffer = new byte[size];
    for (int i = 0; i < runs.length; i++) {
      System.arraycopy(runs[i], 0, buffer, starts[i], runs[i].length);
    }
    return buffer;
  }

  /** Brings {@code buffer[from, to)} back to this image. */
  void restore(byte[] buffer, int from, int to) {
    Arrays.fill(buffer, from, to, (byte) 0);
    for (int i = runAt(from); i < runs.length && starts[i] < to; i++) {
      int start = Math.max(from, starts[i]);
      int end = Math.min(to, starts[i] + runs[i].length);
      System.arraycopy(runs[i], start - starts[i], buffer, start, end - start);
    }
  }
}
