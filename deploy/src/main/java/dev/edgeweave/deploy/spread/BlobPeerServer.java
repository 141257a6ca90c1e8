package dev.edgeweave.deploy.spread;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.edgeweave.deploy.internal.Digests;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves this node's blobs to its peers: {@code GET /internal/v1/blobs/<sha256>} with {@code
 * Authorization: Bearer <cluster secret>} streams the file as it is on disk, or a blob this node
 * has pulled and holds in memory while it installs it (the receiver checks its digest either way).
 * With TLS (the cluster's keys, {@link PeerTls}) it serves HTTPS only to peers that present a
 * certificate of the cluster's CA, and the secret, then optional, is checked when set. A blob this
 * node does not hold is 404, or 503 with the time its pull started while it pulls it. At most
 * {@code maxConcurrentUploads} uploads run at once, and at most {@code maxUploadsPerBlob} of one
 * blob; past either a peer gets 503, which tells it this node holds the blob, and asks another node
 * or again shortly.
 */
public final class BlobPeerServer implements AutoCloseable {

  /** The path below which blobs are served, followed by the digest. */
  public static final String BLOBS_PATH = "/internal/v1/blobs/";

  /**
   * On a 503 for a blob this node is still pulling: when its pull started ({@link
   * PulledBlobs#now()}).
   */
  static final String PULLING_SINCE = "X-Edgeweave-Pulling-Since";

  private static final Logger log = LoggerFactory.getLogger(BlobPeerServer.class);

  private final HttpServer server;
  private final ExecutorService threads;
  private final Counters counters;

  private BlobPeerServer(HttpServer server, ExecutorService threads, Counters counters) {
    this.server = server;
    this.threads = threads;
    this.counters = counters;
  }

  /**
   * Binds and starts serving the blobs in {@code blobsDir} over HTTP behind the secret, with as
   * many uploads of one blob at once as of all blobs, and none held in memory.
   */
  public static BlobPeerServer start(
      Path blobsDir, String secret, InetSocketAddress bindTo, int maxConcurrentUploads, int chunk)
      throws IOException {
    return start(
        blobsDir,
        new PulledBlobs(),
        secret,
        Optional.empty(),
        bindTo,
        maxConcurrentUploads,
        maxConcurrentUploads,
        chunk);
  }

  /**
   * Binds and starts serving the blobs in {@code blobsDir} and those {@code pulled} holds: over
   * HTTPS to peers holding a certificate of the cluster's CA when {@code tls} is given, and behind
   * the secret unless it is empty (which it may be only with TLS).
   */
  public static BlobPeerServer start(
      Path blobsDir,
      PulledBlobs pulled,
      String secret,
      Optional<SSLContext> tls,
      InetSocketAddress bindTo,
      int maxConcurrentUploads,
      int maxUploadsPerBlob,
      int chunk)
      throws IOException {
    Objects.requireNonNull(blobsDir, "blobsDir");
    Objects.requireNonNull(pulled, "pulled");
    Objects.requireNonNull(secret, "secret");
    if (secret.isEmpty() && tls.isEmpty()) {
      throw new IllegalArgumentException(
          "the peer blob server needs a cluster secret or the cluster's TLS keys");
    }
    if (maxConcurrentUploads < 1) {
      throw new IllegalArgumentException("max-concurrent-uploads must be at least 1");
    }
    if (maxUploadsPerBlob < 1) {
      throw new IllegalArgumentException("max-uploads-per-blob must be at least 1");
    }
    byte[] expected =
        secret.isEmpty() ? null : ("Bearer " + secret).getBytes(StandardCharsets.UTF_8);
    Slots slots = new Slots(maxConcurrentUploads, maxUploadsPerBlob);
    Counters counters = new Counters();
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
            serve(exchange, blobsDir, pulled, expected, slots, counters, chunk);
          } catch (IOException e) {
            log.debug("blob upload to {} ended: {}", exchange.getRemoteAddress(), e.toString());
          }
        });
    server.start();
    return new BlobPeerServer(server, threads, counters);
  }

  private static void serve(
      HttpExchange exchange,
      Path blobsDir,
      PulledBlobs pulled,
      byte[] expected,
      Slots slots,
      Counters counters,
      int chunk)
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
    Optional<byte[]> inMemory = pulled.get(digest);
    Path file = blobsDir.resolve(digest);
    // Held or not is answered before busy or not: a 503 tells the peer this node has the blob.
    if (inMemory.isEmpty() && !Files.isRegularFile(file)) {
      OptionalLong since = pulled.pullingSince(digest);
      if (since.isPresent()) {
        counters.busyRefusals.incrementAndGet();
        exchange.getResponseHeaders().add(PULLING_SINCE, Long.toString(since.getAsLong()));
        exchange.sendResponseHeaders(503, -1);
      } else {
        exchange.sendResponseHeaders(404, -1);
      }
      return;
    }
    if (!slots.tryAcquire(digest)) {
      counters.busyRefusals.incrementAndGet();
      exchange.getResponseHeaders().add("Retry-After", "1");
      exchange.sendResponseHeaders(503, -1);
      return;
    }
    try (InputStream in =
        inMemory.isPresent()
            ? new ByteArrayInputStream(inMemory.get())
            : Files.newInputStream(file)) {
      long size = inMemory.isPresent() ? inMemory.get().length : Files.size(file);
      exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
      exchange.sendResponseHeaders(200, size == 0 ? -1 : size);
      OutputStream out = exchange.getResponseBody();
      byte[] buffer = new byte[chunk];
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
        counters.bytes.addAndGet(n);
      }
      out.flush();
      counters.uploads.incrementAndGet();
    } catch (NoSuchFileException e) {
      exchange.sendResponseHeaders(404, -1);
    } finally {
      slots.release(digest);
    }
  }

  /** Upload slots: a bound on all uploads at once and one on uploads of each blob. */
  private static final class Slots {
    private final Semaphore all;
    private final int perBlob;
    private final Map<String, Integer> byBlob = new HashMap<>();

    Slots(int all, int perBlob) {
      this.all = new Semaphore(all);
      this.perBlob = perBlob;
    }

    synchronized boolean tryAcquire(String digest) {
      int running = byBlob.getOrDefault(digest, 0);
      if (running >= perBlob || !all.tryAcquire()) {
        return false;
      }
      byBlob.put(digest, running + 1);
      return true;
    }

    synchronized void release(String digest) {
      int running = byBlob.getOrDefault(digest, 0);
      if (running <= 1) {
        byBlob.remove(digest);
      } else {
        byBlob.put(digest, running - 1);
      }
      all.release();
    }
  }

  private static final class Counters {
    final AtomicLong uploads = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong busyRefusals = new AtomicLong();
  }

  /** What this server has sent its peers so far. */
  public BlobUploads uploads() {
    return new BlobUploads(
        counters.uploads.get(), counters.bytes.get(), counters.busyRefusals.get());
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
