package dev.edgeweave.deploy.spread;

import dev.edgeweave.deploy.internal.Digests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls a blob from the peers that may hold it, in the order given (same-location peers first),
 * reading it in chunks and hashing it as it arrives. A transfer that fails, is cut short, is larger
 * than allowed or does not hash to the digest is thrown away and the next peer is asked.
 *
 * <p>Peers of last resort (the node the release was deployed at) are asked only when no other peer
 * holds the blob: a peer that answers 503 holds it but has no upload slot free, so the fetcher asks
 * the whole round again after a short, jittered pause rather than falling back to the origin. That
 * keeps the origin's uploads per release about constant however many nodes pull it: the first nodes
 * get it from the origin, the rest from them.
 */
public final class BlobFetcher {

  private static final Logger log = LoggerFactory.getLogger(BlobFetcher.class);

  private final HttpClient client;
  private final String secret;
  private final Duration timeout;
  private final int chunk;
  private final Duration busyRetry;
  private final Duration busyWait;

  /** Pulls over HTTP with the cluster secret. */
  public BlobFetcher(
      String secret, Duration timeout, int chunkBytes, Duration busyRetry, Duration busyWait) {
    this(secret, Optional.empty(), timeout, chunkBytes, busyRetry, busyWait);
  }

  /**
   * Pulls with the cluster secret (none when empty), over HTTPS presenting this node's certificate
   * when {@code tls} is given (peers' URIs are then {@code https}).
   *
   * @param timeout the most one pull from one peer may take
   * @param busyRetry the pause before asking again when every holder was busy (jittered ±50%)
   * @param busyWait how long to keep asking again while holders are busy, before giving up
   */
  public BlobFetcher(
      String secret,
      Optional<SSLContext> tls,
      Duration timeout,
      int chunkBytes,
      Duration busyRetry,
      Duration busyWait) {
    this.secret = Objects.requireNonNull(secret, "secret");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.busyRetry = Objects.requireNonNull(busyRetry, "busyRetry");
    this.busyWait = Objects.requireNonNull(busyWait, "busyWait");
    if (chunkBytes < 1) {
      throw new IllegalArgumentException("chunk-bytes must be at least 1");
    }
    if (busyRetry.isNegative() || busyRetry.isZero() || busyWait.isNegative()) {
      throw new IllegalArgumentException("busy-retry must be > 0 and busy-wait >= 0");
    }
    this.chunk = chunkBytes;
    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(timeout);
    tls.ifPresent(client::sslContext);
    this.client = client.build();
  }

  /** The blob's bytes, from the first of {@code peers} that sends them intact. */
  public byte[] fetch(String digest, List<URI> peers, long maxBytes) throws IOException {
    return fetch(digest, peers, List.of(), maxBytes, PulledBlobs.now());
  }

  /** As {@link #fetch(String, List, List, long, long)}, for a pull starting now. */
  public byte[] fetch(String digest, List<URI> peers, List<URI> lastResort, long maxBytes)
      throws IOException {
    return fetch(digest, peers, lastResort, maxBytes, PulledBlobs.now());
  }

  /**
   * The blob's bytes, from the first peer that sends them intact.
   *
   * @param peers base URIs of peers' blob servers ({@code http(s)://host:port}), in order of
   *     preference
   * @param lastResort peers asked after {@code peers}, and only in a round where none of {@code
   *     peers} answered that it holds the blob but is busy
   * @param maxBytes the most a blob of this release may hold
   * @param since when this pull started ({@link PulledBlobs#now()}): a peer that is still pulling
   *     the blob counts as a busy holder if it started before, as not holding it otherwise
   * @throws IOException naming every peer's failure in the last round, if none sent the blob intact
   */
  public byte[] fetch(
      String digest, List<URI> peers, List<URI> lastResort, long maxBytes, long since)
      throws IOException {
    if (!Digests.isSha256(digest)) {
      throw new IllegalArgumentException("'" + digest + "' is not a sha256 digest");
    }
    if (peers.isEmpty() && lastResort.isEmpty()) {
      throw new IOException("no peer sent blob " + digest + " intact (no peer to ask)");
    }
    long deadline = System.nanoTime() + busyWait.toNanos();
    while (true) {
      Round round = new Round(since);
      for (URI peer : peers) {
        byte[] bytes = round.ask(peer, digest, maxBytes);
        if (bytes != null) {
          return bytes;
        }
      }
      if (!round.busy) {
        for (URI peer : lastResort) {
          byte[] bytes = round.ask(peer, digest, maxBytes);
          if (bytes != null) {
            return bytes;
          }
        }
      }
      if (!round.busy || System.nanoTime() > deadline) {
        throw new IOException(
            "no peer sent blob "
                + digest
                + " intact"
                + (round.busy ? " within " + busyWait.toMillis() + " ms" : "")
                + ": "
                + String.join("; ", round.failures));
      }
      pause();
    }
  }

  /**
   * One pass over the peers: what each answered, and whether one holds the blob (or started pulling
   * it before this node) but is busy.
   */
  private final class Round {
    final List<String> failures = new ArrayList<>();
    final long since;
    boolean busy;

    Round(long since) {
      this.since = since;
    }

    /** The blob from this peer, or null when it did not send it intact. */
    byte[] ask(URI peer, String digest, long maxBytes) throws IOException {
      try {
        return fetchFrom(peer, digest, maxBytes);
      } catch (Busy e) {
        if (e.pullingSince.isPresent() && e.pullingSince.getAsLong() >= since) {
          // It started pulling after this node did: this node does not wait for it.
          failures.add(peer + ": pulling it too, since later");
          return null;
        }
        busy = true;
        log.debug("blob {}: {} is busy", digest, peer);
      } catch (NotHeld e) {
        log.debug("blob {} not held by {}", digest, peer);
        failures.add(peer + ": " + e.getMessage());
        return null;
      } catch (IOException e) {
        // Some failures (a connection reset, a closed stream) carry no message: name the kind.
        String why = e.getMessage() != null ? e.getMessage() : e.toString();
        log.warn("blob {} from {} refused: {}", digest, peer, why);
        failures.add(peer + ": " + why);
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while pulling blob " + digest, e);
      }
      failures.add(peer + ": busy (503)");
      return null;
    }
  }

  private void pause() throws IOException {
    long base = busyRetry.toNanos();
    long nanos = ThreadLocalRandom.current().nextLong(base / 2, base + base / 2 + 1);
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for a busy peer", e);
    }
  }

  /** The peer holds the blob but has no upload slot free, or is pulling it itself. */
  private static final class Busy extends IOException {
    private static final long serialVersionUID = 1L;

    /** When the peer started pulling the blob, if it does not hold it yet. */
    final transient OptionalLong pullingSince;

    Busy(OptionalLong pullingSince) {
      super("busy (503)");
      this.pullingSince = pullingSince;
    }
  }

  /** The peer does not hold the blob. */
  private static final class NotHeld extends IOException {
    private static final long serialVersionUID = 1L;

    NotHeld() {
      super("not held (404)");
    }
  }

  private byte[] fetchFrom(URI peer, String digest, long maxBytes)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(peer.resolve(BlobPeerServer.BLOBS_PATH + digest))
            .timeout(timeout)
            .GET();
    if (!secret.isEmpty()) {
      request.header("Authorization", "Bearer " + secret);
    }
    HttpResponse<InputStream> response =
        client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() == 503) {
        OptionalLong pulling = OptionalLong.empty();
        try {
          pulling =
              response
                  .headers()
                  .firstValue(BlobPeerServer.PULLING_SINCE)
                  .map(v -> OptionalLong.of(Long.parseLong(v)))
                  .orElse(OptionalLong.empty());
        } catch (NumberFormatException malformed) {
          // A busy holder, then.
        }
        throw new Busy(pulling);
      }
      if (response.statusCode() == 404) {
        throw new NotHeld();
      }
      if (response.statusCode() != 200) {
        throw new IOException("answered " + response.statusCode());
      }
      MessageDigest sha;
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every Java runtime provides SHA-256", e);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[chunk];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        total += n;
        if (total > maxBytes) {
          throw new IOException("sent more than the " + maxBytes + " bytes allowed");
        }
        sha.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
      String actual = HexFormat.of().formatHex(sha.digest());
      if (!actual.equals(digest)) {
        throw new IOException("sent " + total + " bytes hashing to " + actual);
      }
      return out.toByteArray();
    }
  }
}
