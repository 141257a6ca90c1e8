package dev.edgeweave.deploy.spread;

import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Blobs this node has pulled and checked but not yet stored: an install holds its release's blobs
 * in memory while it compiles them, and the blob server serves them from here meanwhile, so a node
 * passes a blob on as soon as it has it rather than once its install is done.
 */
public final class PulledBlobs {

  private final ConcurrentHashMap<String, byte[]> held = new ConcurrentHashMap<>();

  /** Serves {@code bytes}, already checked against {@code digest}, until released. */
  public void hold(String digest, byte[] bytes) {
    held.put(digest, bytes);
  }

  /** Stops serving these blobs from memory (they are stored by now, or no longer wanted). */
  public void release(Collection<String> digests) {
    digests.forEach(held::remove);
  }

  /** The held blob with this digest. */
  public Optional<byte[]> get(String digest) {
    return Optional.ofNullable(held.get(digest));
  }
}
