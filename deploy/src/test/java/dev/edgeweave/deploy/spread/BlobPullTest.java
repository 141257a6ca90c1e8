package dev.edgeweave.deploy.spread;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.deploy.internal.Digests;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobPullTest {

  private static final String SECRET = "s3cret";

  @TempDir Path root;

  private final List<BlobPeerServer> servers = new ArrayList<>();

  @AfterEach
  void stopServers() {
    servers.forEach(BlobPeerServer::close);
  }

  private static byte[] content(int size) {
    byte[] bytes = new byte[size];
    new Random(7).nextBytes(bytes);
    return bytes;
  }

  /** A peer whose store holds {@code stored} under {@code digest}. */
  private URI peer(String name, String digest, byte[] stored, int maxUploads) throws IOException {
    Path blobs = Files.createDirectories(root.resolve(name));
    if (stored != null) {
      Files.write(blobs.resolve(digest), stored);
    }
    BlobPeerServer server =
        BlobPeerServer.start(
            blobs,
            SECRET,
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            maxUploads,
            4096);
    servers.add(server);
    return URI.create("http://127.0.0.1:" + server.address().getPort());
  }

  @Test
  void aCorruptAndATruncatedTransferAreRefusedAndTheBlobIsFetchedElsewhere() throws IOException {
    byte[] blob = content(300_000);
    String digest = Digests.sha256(blob);
    byte[] corrupt = blob.clone();
    corrupt[150_000] ^= 1;
    URI corruptPeer = peer("corrupt", digest, corrupt, 2);
    URI truncatedPeer = peer("truncated", digest, Arrays.copyOf(blob, 200_000), 2);
    URI missingPeer = peer("missing", digest, null, 2);
    URI goodPeer = peer("good", digest, blob, 2);
    BlobFetcher fetcher = new BlobFetcher(SECRET, Duration.ofSeconds(10), 8192);

    byte[] fetched =
        fetcher.fetch(digest, List.of(corruptPeer, truncatedPeer, missingPeer, goodPeer), 1 << 20);

    assertArrayEquals(blob, fetched);
  }

  @Test
  void whenNoPeerSendsTheBlobIntactTheFetchFailsNamingEachPeer() throws IOException {
    byte[] blob = content(10_000);
    String digest = Digests.sha256(blob);
    byte[] corrupt = blob.clone();
    corrupt[0] ^= 1;
    URI corruptPeer = peer("corrupt", digest, corrupt, 2);
    URI largePeer = peer("large", digest, blob, 2);
    BlobFetcher fetcher = new BlobFetcher(SECRET, Duration.ofSeconds(10), 8192);

    IOException e =
        assertThrows(
            IOException.class, () -> fetcher.fetch(digest, List.of(corruptPeer, largePeer), 5_000));

    assertTrue(e.getMessage().contains(corruptPeer.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("more than the 5000 bytes"), e.getMessage());
  }

  @Test
  void aPeerWithTheWrongSecretGetsNothing() throws IOException {
    byte[] blob = content(1000);
    String digest = Digests.sha256(blob);
    URI peer = peer("good", digest, blob, 2);
    BlobFetcher wrongSecret = new BlobFetcher("guess", Duration.ofSeconds(10), 8192);

    IOException e =
        assertThrows(IOException.class, () -> wrongSecret.fetch(digest, List.of(peer), 1 << 20));

    assertTrue(e.getMessage().contains("answered 401"), e.getMessage());
  }

  @Test
  void uploadsBeyondTheBoundAreAnswered503() throws Exception {
    byte[] blob = content(32 * 1024 * 1024);
    String digest = Digests.sha256(blob);
    URI peer = peer("good", digest, blob, 1);
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest request =
        HttpRequest.newBuilder(peer.resolve(BlobPeerServer.BLOBS_PATH + digest))
            .header("Authorization", "Bearer " + SECRET)
            .build();
    // The first upload is held open by not reading its body: the server blocks writing it.
    HttpResponse<java.io.InputStream> held =
        client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, held.statusCode());
    try (var in = held.body()) {
      HttpResponse<Void> second = client.send(request, HttpResponse.BodyHandlers.discarding());
      assertEquals(503, second.statusCode());
      assertArrayEquals(blob, in.readAllBytes());
    }
    HttpResponse<byte[]> after = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, after.statusCode());
  }
}
