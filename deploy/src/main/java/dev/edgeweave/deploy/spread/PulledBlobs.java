package dev.edgeweave.deploy.spread;

import java.util.Collection;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Blobs this node is pulling, or has pulled and checked but not yet stored: an install holds its
 * release's blobs in memory while it compiles them, and the blob server serves them from here
 * meanwhile, so a node passes a blob on as soon as it has it rather than once its install is done.
 * A blob still being pulled is answered busy, with the time the pull started, so that nodes that
 * started later wait for this one rather than all asking the origin at once.
 */
public final class PulledBlobs {

  private final ConcurrentHashMap<String, byte[]> held = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> pulling = new ConcurrentHashMap<>();

  /** This node starts pulling the blob now; {@code since} orders it among other pullers. */
  public void pulling(String digest, long since) {
    pulling.put(digest, since);
  }

  /** Serves {@code bytes}, already checked against {@code digest}, until released. */
  public void hold(String digest, byte[] bytes) {
    held.put(digest, bytes);
    pulling.remove(digest);
  }

  /** Stops serving these blobs from memory (they are stored by now, or no longer wanted). */
  public void release(Collection<String> digests) {
    digests.forEach(
        d -> {
          held.remove(d);
          pulling.remove(d);
        });
  }

  /** The held blob with this digest. */
  public Optional<byte[]> get(String digest) {
    return Optional.ofNullable(held.get(digest));
  }

  /** When this node started pulling the blob, if it is pulling it now. */
  public OptionalLong pullingSince(String digest) {
    Long since = pulling.get(digest);
    return since == null ? OptionalLong.empty() : OptionalLong.of(since);
  }

  /** A time to order pulls by: microseconds since the epoch. */
  public static long now() {
    java.time.Instant t = java.time.Instant.now();
    return t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000;
  }
}
