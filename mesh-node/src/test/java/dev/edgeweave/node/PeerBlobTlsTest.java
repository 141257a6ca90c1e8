package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgeweave.deploy.spread.BlobFetcher;
import dev.edgeweave.deploy.spread.BlobPeerServer;
import dev.edgeweave.deploy.spread.PeerTls;
import dev.edgeweave.deploy.spread.PulledBlobs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer blob transfer with the cluster's keys: HTTPS both ways with certificates of the cluster's
 * CA, no shared secret; keys of another {@code weave keys} run, or none, are refused.
 */
class PeerBlobTlsTest {

  private static final Duration READ_ONCE = Duration.ofHours(1);
  private static final byte[] BLOB = "a module's bytes".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path keys;
  @TempDir Path root;

  private static Path cluster;
  private static Path other;
  private static String digest;
  private final List<BlobPeerServer> servers = new ArrayList<>();

  @BeforeAll
  static void makeKeys() throws Exception {
    cluster = keys.resolve("cluster");
    other = keys.resolve("other");
    WeaveKeys.make(cluster, false);
    WeaveKeys.make(other, false);
    digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BLOB));
  }

  @AfterEach
  void stopServers() {
    servers.forEach(BlobPeerServer::close);
  }

  private URI server(Path keysDir, Duration reloadAfter) throws IOException {
    Path blobs = Files.createDirectories(root.resolve("blobs-" + servers.size()));
    Files.write(blobs.resolve(digest), BLOB);
    BlobPeerServer server =
        BlobPeerServer.start(
            blobs,
            new PulledBlobs(),
            "",
            Optional.of(PeerTls.fromKeysDir(keysDir, reloadAfter).context()),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            2,
            2,
            4096);
    servers.add(server);
    return URI.create("https://127.0.0.1:" + server.address().getPort());
  }

  private static byte[] fetch(Optional<SSLContext> tls, URI peer) throws IOException {
    return new BlobFetcher(
            "", tls, Duration.ofSeconds(10), 4096, Duration.ofMillis(20), Duration.ZERO)
        .fetch(digest, List.of(peer), 1024);
  }

  private static Optional<SSLContext> tls(Path keysDir) throws IOException {
    return Optional.of(PeerTls.fromKeysDir(keysDir, READ_ONCE).context());
  }

  @Test
  void aPeerWithTheClustersKeysPullsOverHttpsWithoutASecret() throws IOException {
    assertArrayEquals(BLOB, fetch(tls(cluster), server(cluster, READ_ONCE)));
  }

  @Test
  void aPeerWithAnotherClustersKeysIsRefusedAndRefusesTheServer() throws IOException {
    URI peer = server(cluster, READ_ONCE);
    assertThrows(IOException.class, () -> fetch(tls(other), peer));
    URI otherServer = server(other, READ_ONCE);
    assertThrows(IOException.class, () -> fetch(tls(cluster), otherServer));
  }

  @Test
  void aClientWithoutACertificateIsRefused() throws IOException {
    URI peer = server(cluster, READ_ONCE);
    // The JDK's default trust: no client certificate, and the cluster's CA unknown to it.
    assertThrows(IOException.class, () -> fetch(Optional.empty(), peer));
    // Trusting any server, so only its own missing certificate can fail it.
    HttpClient noCertificate =
        HttpClient.newBuilder().sslContext(trustingAnyServerWithoutAKey()).build();
    assertThrows(
        IOException.class,
        () ->
            noCertificate.send(
                HttpRequest.newBuilder(peer.resolve(BlobPeerServer.BLOBS_PATH + digest)).build(),
                HttpResponse.BodyHandlers.ofByteArray()));
    // Plain HTTP to the HTTPS port.
    URI plain = URI.create("http://127.0.0.1:" + peer.getPort());
    assertThrows(IOException.class, () -> fetch(Optional.empty(), plain));
  }

  @Test
  void replacedKeysTakeEffectWithoutARestart() throws IOException {
    Path rotating = root.resolve("rotating");
    Files.createDirectories(rotating);
    copyKeys(cluster, rotating);
    URI peer = server(rotating, Duration.ofMillis(1));
    assertArrayEquals(BLOB, fetch(tls(cluster), peer));
    copyKeys(other, rotating);
    assertThrows(IOException.class, () -> fetch(tls(cluster), peer));
    assertArrayEquals(BLOB, fetch(tls(other), peer));
  }

  private static void copyKeys(Path from, Path to) throws IOException {
    for (String file : List.of(PeerTls.CA_CERT, PeerTls.NODE_CERT, PeerTls.NODE_KEY)) {
      Files.copy(from.resolve(file), to.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** A context that trusts any server and holds no key of its own. */
  private static SSLContext trustingAnyServerWithoutAKey() {
    X509ExtendedTrustManager any =
        new X509ExtendedTrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) {}

          @Override
          public void checkClientTrusted(
              X509Certificate[] chain, String authType, SSLEngine engine) {}

          @Override
          public void checkServerTrusted(
              X509Certificate[] chain, String authType, SSLEngine engine) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    try {
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(null, new TrustManager[] {any}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
