package dev.edgeweave.deploy.spread;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Whom a node asks for a release's blobs: the other nodes first, those of its own location before
 * the rest, each group in random order so that pulls spread over the holders; the node the release
 * was deployed at (its origin) last, as a peer of last resort ({@link BlobFetcher}).
 *
 * @param peers the peers to ask first, in order
 * @param lastResort the origin's blob server, if it is known and is not this node
 */
public record FetchOrder(List<URI> peers, List<URI> lastResort) {

  public FetchOrder {
    peers = List.copyOf(peers);
    lastResort = List.copyOf(lastResort);
  }

  /**
   * The order for a node of {@code selfLocation} ({@code self} in the directory).
   *
   * @param directory member → {@code "<location> <blob server URI>"}, as nodes announce them
   * @param origin the member the release was deployed at
   */
  public static FetchOrder of(
      Map<String, String> directory,
      String self,
      String selfLocation,
      String origin,
      Random random) {
    List<URI> near = new ArrayList<>();
    List<URI> far = new ArrayList<>();
    List<URI> last = new ArrayList<>();
    directory.forEach(
        (member, value) -> {
          int space = value.indexOf(' ');
          if (member.equals(self) || space < 0) {
            return;
          }
          URI uri = URI.create(value.substring(space + 1));
          if (member.equals(origin)) {
            last.add(uri);
          } else {
            (value.substring(0, space).equals(selfLocation) ? near : far).add(uri);
          }
        });
    // The directory's own order is the same on every node: shuffle so pulls spread.
    Collections.sort(near);
    Collections.sort(far);
    Collections.shuffle(near, random);
    Collections.shuffle(far, random);
    near.addAll(far);
    return new FetchOrder(near, last);
  }
}
