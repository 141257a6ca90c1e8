package dev.edgeweave.deploy.spread;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.deploy.internal.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
    BlobFetcher fetcher = fetcher(Duration.ZERO);

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
    BlobFetcher fetcher = fetcher(Duration.ZERO);

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
    BlobFetcher wrongSecret =
        new BlobFetcher(
            "guess", Duration.ofSeconds(10), 8192, Duration.ofMillis(20), Duration.ZERO);

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

  /** A peer serving {@code stored} under its digest, with its upload bounds, and its server. */
  private BlobPeerServer server(String name, PulledBlobs pulled, int maxUploads, int perBlob)
      throws IOException {
    Path blobs = Files.createDirectories(root.resolve(name));
    BlobPeerServer server =
        BlobPeerServer.start(
            blobs,
            pulled,
            SECRET,
            Optional.empty(),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            maxUploads,
            perBlob,
            4096);
    servers.add(server);
    return server;
  }

  private static URI uri(BlobPeerServer server) {
    return URI.create("http://127.0.0.1:" + server.address().getPort());
  }

  private BlobPeerServer holding(String name, byte[] blob, int perBlob) throws IOException {
    BlobPeerServer server = server(name, new PulledBlobs(), 4, perBlob);
    Files.write(root.resolve(name).resolve(Digests.sha256(blob)), blob);
    return server;
  }

  private static BlobFetcher fetcher(Duration busyWait) {
    return new BlobFetcher(SECRET, Duration.ofSeconds(10), 8192, Duration.ofMillis(20), busyWait);
  }

  /** An upload of the blob held open by not reading its body: the server blocks writing it. */
  private static HttpResponse<InputStream> holdUpload(BlobPeerServer server, String digest)
      throws IOException, InterruptedException {
    HttpResponse<InputStream> held =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(uri(server).resolve(BlobPeerServer.BLOBS_PATH + digest))
                    .header("Authorization", "Bearer " + SECRET)
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, held.statusCode());
    return held;
  }

  private static void awaitBusyRefusal(BlobPeerServer server) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (server.uploads().busyRefusals() == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the fetcher never asked the busy peer");
      }
      Thread.sleep(10);
    }
  }

  @Test
  void theServerCountsTheBytesOfEveryUploadAndNothingForRefusals() throws IOException {
    byte[] blob = content(300_000);
    String digest = Digests.sha256(blob);
    BlobPeerServer server = holding("good", blob, 1);
    fetcher(Duration.ZERO).fetch(digest, List.of(uri(server)), 1 << 20);
    fetcher(Duration.ZERO).fetch(digest, List.of(uri(server)), 1 << 20);
    BlobFetcher wrongSecret =
        new BlobFetcher(
            "guess", Duration.ofSeconds(10), 8192, Duration.ofMillis(20), Duration.ZERO);
    assertThrows(IOException.class, () -> wrongSecret.fetch(digest, List.of(uri(server)), 1 << 20));
    String other = Digests.sha256(content(10));
    assertThrows(
        IOException.class,
        () -> fetcher(Duration.ZERO).fetch(other, List.of(uri(server)), 1 << 20));

    assertEquals(new BlobUploads(2, 600_000, 0), server.uploads());
  }

  @Test
  void aBlobHeldInMemoryIsServedUntilReleased() throws IOException {
    byte[] blob = content(100_000);
    String digest = Digests.sha256(blob);
    PulledBlobs pulled = new PulledBlobs();
    BlobPeerServer server = server("pulling", pulled, 4, 1);
    pulled.hold(digest, blob);

    assertArrayEquals(blob, fetcher(Duration.ZERO).fetch(digest, List.of(uri(server)), 1 << 20));

    pulled.release(List.of(digest));
    IOException e =
        assertThrows(
            IOException.class,
            () -> fetcher(Duration.ZERO).fetch(digest, List.of(uri(server)), 1 << 20));
    assertTrue(e.getMessage().contains("not held (404)"), e.getMessage());
  }

  @Test
  void oneUploadPerBlobAtOnceWhileOtherBlobsAreServedAndUnheldOnesAre404() throws Exception {
    byte[] big = content(32 * 1024 * 1024);
    byte[] small = content(1000);
    BlobPeerServer server = holding("good", big, 1);
    Files.write(root.resolve("good").resolve(Digests.sha256(small)), small);
    HttpClient client = HttpClient.newHttpClient();
    HttpResponse<InputStream> held = holdUpload(server, Digests.sha256(big));
    try (InputStream in = held.body()) {
      assertEquals(503, status(client, server, Digests.sha256(big)));
      assertEquals(200, status(client, server, Digests.sha256(small)));
      assertEquals(404, status(client, server, Digests.sha256(content(7))));
      assertArrayEquals(big, in.readAllBytes());
    }
    assertEquals(200, status(client, server, Digests.sha256(big)));
    assertEquals(1, server.uploads().busyRefusals());
  }

  private static int status(HttpClient client, BlobPeerServer server, String digest)
      throws IOException, InterruptedException {
    return client
        .send(
            HttpRequest.newBuilder(uri(server).resolve(BlobPeerServer.BLOBS_PATH + digest))
                .header("Authorization", "Bearer " + SECRET)
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void theOriginIsNotAskedWhileAnotherPeerHoldsTheBlobButIsBusy() throws Exception {
    byte[] blob = content(32 * 1024 * 1024);
    String digest = Digests.sha256(blob);
    BlobPeerServer origin = holding("origin", blob, 1);
    BlobPeerServer holder = holding("holder", blob, 1);
    BlobPeerServer empty = server("empty", new PulledBlobs(), 4, 1);
    HttpResponse<InputStream> held = holdUpload(holder, digest);
    CompletableFuture<byte[]> fetched =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return fetcher(Duration.ofSeconds(60))
                    .fetch(digest, List.of(uri(empty), uri(holder)), List.of(uri(origin)), 1 << 26);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    awaitBusyRefusal(holder);
    try (InputStream in = held.body()) {
      in.readAllBytes();
    }

    assertArrayEquals(blob, fetched.get(60, TimeUnit.SECONDS));
    assertEquals(0, origin.uploads().bytes(), "the origin was asked");
    assertEquals(2L * blob.length, holder.uploads().bytes());
  }

  @Test
  void theOriginIsAskedWhenNoOtherPeerHoldsTheBlob() throws IOException {
    byte[] blob = content(100_000);
    String digest = Digests.sha256(blob);
    BlobPeerServer origin = holding("origin", blob, 1);
    BlobPeerServer empty = server("empty", new PulledBlobs(), 4, 1);

    byte[] fetched =
        fetcher(Duration.ZERO).fetch(digest, List.of(uri(empty)), List.of(uri(origin)), 1 << 20);

    assertArrayEquals(blob, fetched);
    assertEquals(blob.length, origin.uploads().bytes());
  }

  @Test
  void aFetcherRefusedByABusyOriginAsksAgainSoonAndGetsTheBlob() throws Exception {
    byte[] blob = content(32 * 1024 * 1024);
    String digest = Digests.sha256(blob);
    BlobPeerServer origin = holding("origin", blob, 1);
    HttpResponse<InputStream> held = holdUpload(origin, digest);
    CompletableFuture<byte[]> fetched =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return fetcher(Duration.ofSeconds(60))
                    .fetch(digest, List.of(), List.of(uri(origin)), 1 << 26);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    awaitBusyRefusal(origin);
    try (InputStream in = held.body()) {
      in.readAllBytes();
    }

    assertArrayEquals(blob, fetched.get(60, TimeUnit.SECONDS));
  }

  @Test
  void aFetcherGivesUpWhenTheHoldersStayBusyPastTheBusyWait() throws Exception {
    byte[] blob = content(32 * 1024 * 1024);
    String digest = Digests.sha256(blob);
    BlobPeerServer holder = holding("holder", blob, 1);
    HttpResponse<InputStream> held = holdUpload(holder, digest);
    try (InputStream in = held.body()) {
      IOException e =
          assertThrows(
              IOException.class,
              () -> fetcher(Duration.ofMillis(200)).fetch(digest, List.of(uri(holder)), 1 << 26));
      assertTrue(e.getMessage().contains("busy (503)"), e.getMessage());
      assertTrue(holder.uploads().busyRefusals() >= 1);
      in.readAllBytes();
    }
  }

  @Test
  void aPeerThatStartedPullingEarlierIsWaitedForAndOneThatStartedLaterIsNot() throws Exception {
    byte[] blob = content(100_000);
    String digest = Digests.sha256(blob);
    BlobPeerServer origin = holding("origin", blob, 1);
    PulledBlobs pulledByEarly = new PulledBlobs();
    BlobPeerServer early = server("early", pulledByEarly, 4, 1);
    pulledByEarly.pulling(digest, 1_000);

    // Started before the peer: the peer's pull is not waited for; the origin sends the blob.
    fetcher(Duration.ZERO).fetch(digest, List.of(uri(early)), List.of(uri(origin)), 1 << 20, 500);
    assertEquals(blob.length, origin.uploads().bytes());

    // Started after it: waits for the peer rather than ask the origin again.
    CompletableFuture<byte[]> fetched =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return fetcher(Duration.ofSeconds(60))
                    .fetch(digest, List.of(uri(early)), List.of(uri(origin)), 1 << 20, 2_000);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    awaitBusyRefusal(early);
    pulledByEarly.hold(digest, blob);

    assertArrayEquals(blob, fetched.get(60, TimeUnit.SECONDS));
    assertEquals(blob.length, origin.uploads().bytes(), "the origin was asked again");
    assertEquals(blob.length, early.uploads().bytes());
  }
}
