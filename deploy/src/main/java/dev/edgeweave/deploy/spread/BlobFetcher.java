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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls a blob from the peers that may hold it, in the order given (same-location peers first),
 * reading it in chunks and hashing it as it arrives. A transfer that fails, is cut short, is larger
 * than allowed or does not hash to the digest is thrown away and the next peer is asked.
 */
public final class BlobFetcher {

  private static final Logger log = LoggerFactory.getLogger(BlobFetcher.class);

  private final HttpClient client;
  private final String secret;
  private final Duration timeout;
  private final int chunk;

  public BlobFetcher(String secret, Duration timeout, int chunkBytes) {
    this.secret = Objects.requireNonNull(secret, "secret");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    if (chunkBytes < 1) {
      throw new IllegalArgumentException("chunk-bytes must be at least 1");
    }
    this.chunk = chunkBytes;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /**
   * The blob's bytes, from the first peer that sends them intact.
   *
   * @param peers base URIs of peers' blob servers ({@code http://host:port}), in order of
   *     preference
   * @param maxBytes the most a blob of this release may hold
   * @throws IOException naming every peer's failure, if none sent the blob intact
   */
  public byte[] fetch(String digest, List<URI> peers, long maxBytes) throws IOException {
    if (!Digests.isSha256(digest)) {
      throw new IllegalArgumentException("'" + digest + "' is not a sha256 digest");
    }
    List<String> failures = new ArrayList<>();
    for (URI peer : peers) {
      try {
        return fetchFrom(peer, digest, maxBytes);
      } catch (IOException e) {
        // Some failures (a connection reset, a closed stream) carry no message: name the kind.
        String why = e.getMessage() != null ? e.getMessage() : e.toString();
        log.warn("blob {} from {} refused: {}", digest, peer, why);
        failures.add(peer + ": " + why);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while pulling blob " + digest, e);
      }
    }
    throw new IOException(
        "no peer sent blob "
            + digest
            + " intact"
            + (failures.isEmpty() ? " (no peer to ask)" : ": " + String.join("; ", failures)));
  }

  private byte[] fetchFrom(URI peer, String digest, long maxBytes)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(peer.resolve(BlobPeerServer.BLOBS_PATH + digest))
            .header("Authorization", "Bearer " + secret)
            .timeout(timeout)
            .GET()
            .build();
    HttpResponse<InputStream> response =
        client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
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
