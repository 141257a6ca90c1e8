package dev.edgeweave.deploy.spread;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.edgeweave.deploy.internal.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves this node's blobs to its peers: {@code GET /internal/v1/blobs/<sha256>} with {@code
 * Authorization: Bearer <cluster secret>} streams the file as it is on disk (the receiver checks
 * its digest). With TLS (the cluster's keys, {@link PeerTls}) it serves HTTPS only to peers that
 * present a certificate of the cluster's CA, and the secret, then optional, is checked when set. At
 * most {@code maxConcurrentUploads} uploads run at once; past that a peer gets 503 and asks another
 * node.
 */
public final class BlobPeerServer implements AutoCloseable {

  /** The path below which blobs are served, followed by the digest. */
  public static final String BLOBS_PATH = "/internal/v1/blobs/";

  private static final Logger log = LoggerFactory.getLogger(BlobPeerServer.class);

  private final HttpServer server;
  private final ExecutorService threads;

  private BlobPeerServer(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  /** Binds and starts serving the blobs in {@code blobsDir} over HTTP, behind the secret. */
  public static BlobPeerServer start(
      Path blobsDir, String secret, InetSocketAddress bindTo, int maxConcurrentUploads, int chunk)
      throws IOException {
    return start(blobsDir, secret, Optional.empty(), bindTo, maxConcurrentUploads, chunk);
  }

  /**
   * Binds and starts serving the blobs in {@code blobsDir}: over HTTPS to peers holding a
   * certificate of the cluster's CA when {@code tls} is given, and behind the secret unless it is
   * empty (which it may be only with TLS).
   */
  public static BlobPeerServer start(
      Path blobsDir,
      String secret,
      Optional<SSLContext> tls,
      InetSocketAddress bindTo,
      int maxConcurrentUploads,
      int chunk)
      throws IOException {
    Objects.requireNonNull(blobsDir, "blobsDir");
    Objects.requireNonNull(secret, "secret");
    if (secret.isEmpty() && tls.isEmpty()) {
      throw new IllegalArgumentException(
          "the peer blob server needs a cluster secret or the cluster's TLS keys");
    }
    if (maxConcurrentUploads < 1) {
      throw new IllegalArgumentException("max-concurrent-uploads must be at least 1");
    }
    byte[] expected =
        secret.isEmpty() ? null : ("Bearer " + secret).getBytes(StandardCharsets.UTF_8);
    Semaphore uploads = new Semaphore(maxConcurrentUploads);
    AtomicInteger threadIds = new AtomicInteger();
    // A thread per upload slot, and one more to answer 503 while every slot is taken.
    ExecutorService threads =
        Executors.newFixedThreadPool(
            maxConcurrentUploads + 1,
            r -> {
              Thread t = new Thread(r, "edgeweave-blob-upload-" + threadIds.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    HttpServer server;
    if (tls.isPresent()) {
      HttpsServer https = HttpsServer.create(bindTo, 0);
      https.setHttpsConfigurator(
          new HttpsConfigurator(tls.get()) {
            @Override
            public void configure(HttpsParameters params) {
              SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
              parameters.setNeedClientAuth(true);
              parameters.setProtocols(new String[] {PeerTls.PROTOCOL});
              params.setSSLParameters(parameters);
            }
          });
      server = https;
    } else {
      server = HttpServer.create(bindTo, 0);
    }
    server.setExecutor(threads);
    server.createContext(
        "/internal/v1/blobs",
        exchange -> {
          try (exchange) {
            serve(exchange, blobsDir, expected, uploads, chunk);
          } catch (IOException e) {
            log.debug("blob upload to {} ended: {}", exchange.getRemoteAddress(), e.toString());
          }
        });
    server.start();
    return new BlobPeerServer(server, threads);
  }

  private static void serve(
      HttpExchange exchange, Path blobsDir, byte[] expected, Semaphore uploads, int chunk)
      throws IOException {
    String given = exchange.getRequestHeaders().getFirst("Authorization");
    if (expected != null
        && (given == null
            || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8)))) {
      exchange.sendResponseHeaders(401, -1);
      return;
    }
    String path = exchange.getRequestURI().getPath();
    String digest = path.startsWith(BLOBS_PATH) ? path.substring(BLOBS_PATH.length()) : "";
    if (!exchange.getRequestMethod().equals("GET") || !Digests.isSha256(digest)) {
      exchange.sendResponseHeaders(404, -1);
      return;
    }
    if (!uploads.tryAcquire()) {
      exchange.getResponseHeaders().add("Retry-After", "1");
      exchange.sendResponseHeaders(503, -1);
      return;
    }
    try (InputStream in = Files.newInputStream(blobsDir.resolve(digest))) {
      long size = Files.size(blobsDir.resolve(digest));
      exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
      exchange.sendResponseHeaders(200, size == 0 ? -1 : size);
      OutputStream out = exchange.getResponseBody();
      byte[] buffer = new byte[chunk];
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
      }
    } catch (NoSuchFileException e) {
      exchange.sendResponseHeaders(404, -1);
    } finally {
      uploads.release();
    }
  }

  /** Where the server listens (the port it bound when asked for port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
