package dev.edgeweave.wasmhost;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's outbound HTTP for guests, on the JDK's {@link HttpClient}: HTTP/1.1, no proxy, no
 * redirects followed (a 3xx is the guest's to read, so a redirect never reaches a host the
 * component did not declare), a bound on requests in flight on the node, and no way to this node's
 * own ports. One per node; {@link #forComponent} gives each component its capability.
 */
public final class OutboundHttpClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OutboundHttpClient.class);

  private final OutboundConfig config;
  private final ExecutorService executor;
  private final HttpClient client;
  private final Semaphore inFlight;

  private OutboundHttpClient(OutboundConfig config) {
    this.config = config;
    AtomicInteger threads = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "edgeweave-outbound-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(config.connectTimeout())
            .executor(executor)
            .build();
    this.inFlight = new Semaphore(config.maxConcurrentRequests());
  }

  public static OutboundHttpClient create(OutboundConfig config) {
    return new OutboundHttpClient(requireNonNull(config, "config"));
  }

  public OutboundConfig config() {
    return config;
  }

  /** Outbound requests in flight now; for tests and metrics. */
  public int inFlight() {
    return config.maxConcurrentRequests() - inFlight.availablePermits();
  }

  /**
   * The outbound HTTP of one component.
   *
   * @param component the component's id, named in every refusal
   * @param allowed the hosts it declared
   * @param limits what one invocation may send and receive
   * @param mayCallIngress whether it may call this node's public port (other apps, or itself)
   */
  public OutboundHttp forComponent(
      String component, HostAllowList allowed, OutboundLimits limits, boolean mayCallIngress) {
    requireNonNull(component, "component");
    requireNonNull(allowed, "allowed");
    requireNonNull(limits, "limits");
    return new ComponentHttp(component, allowed, limits, mayCallIngress);
  }

  /** Stops the client's threads; requests in flight fail. */
  @Override
  public void close() {
    executor.shutdownNow();
  }

  private final class ComponentHttp implements OutboundHttp {
    private final String component;
    private final HostAllowList allowed;
    private final OutboundLimits limits;
    private final boolean mayCallIngress;

    ComponentHttp(
        String component, HostAllowList allowed, OutboundLimits limits, boolean mayCallIngress) {
      this.component = component;
      this.allowed = allowed;
      this.limits = limits;
      this.mayCallIngress = mayCallIngress;
    }

    @Override
    public OutboundLimits limits() {
      return limits;
    }

    @Override
    public void permit(URI uri) {
      String scheme = scheme(uri);
      int port = port(uri);
      if (!allowed.allows(scheme, uri.getHost(), port)) {
        String target = scheme + "://" + uri.getHost() + ":" + port;
        log.info(
            "component '{}' may not reach {}: not in its allowed_outbound_hosts",
            component,
            target);
        throw new OutboundFailure(
            OutboundFailure.Kind.DENIED,
            "component '"
                + component
                + "' may not reach "
                + target
                + " (add it to allowed_outbound_hosts in spin.toml)");
      }
    }

    @Override
    public CompletionStage<OutboundResponse> send(OutboundRequest request) {
      URI uri = request.uri();
      permit(uri);
      if (request.body().length > limits.maxRequestBytes()) {
        throw new OutboundFailure(
            OutboundFailure.Kind.REQUEST_TOO_LARGE,
            "request body of "
                + request.body().length
                + " bytes is over the limit of "
                + limits.maxRequestBytes());
      }
      HttpRequest.Builder builder =
          HttpRequest.newBuilder(uri)
              .timeout(limits.timeout())
              .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
      try {
        for (Header h : request.headers()) {
          builder.header(h.name(), h.value());
        }
      } catch (IllegalArgumentException e) {
        throw new OutboundFailure(OutboundFailure.Kind.INVALID_REQUEST, e.getMessage(), e);
      }
      HttpRequest httpRequest;
      try {
        httpRequest = builder.build();
      } catch (IllegalArgumentException e) {
        throw new OutboundFailure(OutboundFailure.Kind.INVALID_REQUEST, e.getMessage(), e);
      }
      if (!inFlight.tryAcquire()) {
        throw new OutboundFailure(
            OutboundFailure.Kind.BUSY,
            "the node has "
                + config.maxConcurrentRequests()
                + " outbound requests in flight already");
      }
      String target = scheme(uri) + "://" + uri.getHost() + ":" + port(uri);
      AtomicReference<CompletableFuture<HttpResponse<byte[]>>> exchange = new AtomicReference<>();
      CompletableFuture<OutboundResponse> result;
      try {
        result =
            CompletableFuture.runAsync(() -> checkNotThisNode(uri), executor)
                .thenCompose(
                    ignored -> {
                      CompletableFuture<HttpResponse<byte[]>> sent =
                          client.sendAsync(httpRequest, info -> limited(info.headers()));
                      exchange.set(sent);
                      return sent;
                    })
                .thenApply(ComponentHttp::response)
                .orTimeout(limits.timeout().toNanos(), TimeUnit.NANOSECONDS)
                .handle(
                    (response, error) -> {
                      if (error != null) {
                        throw failure(error, target);
                      }
                      return response;
                    });
      } catch (RejectedExecutionException e) {
        inFlight.release();
        throw new OutboundFailure(
            OutboundFailure.Kind.CONNECTION_FAILED, "the node's outbound HTTP is closed", e);
      }
      result.whenComplete(
          (r, e) -> {
            // Stops an exchange still running when the time ran out or the guest gave up.
            CompletableFuture<HttpResponse<byte[]>> sent = exchange.get();
            if (sent != null) {
              sent.cancel(true);
            }
            inFlight.release();
          });
      return result;
    }

    private HttpResponse.BodySubscriber<byte[]> limited(HttpHeaders headers) {
      long headerBytes = 0;
      for (Map.Entry<String, List<String>> e : headers.map().entrySet()) {
        for (String v : e.getValue()) {
          headerBytes += e.getKey().length() + v.length() + 3;
        }
      }
      return new LimitedBody(limits.maxResponseBytes() - headerBytes);
    }

    private static OutboundResponse response(HttpResponse<byte[]> r) {
      List<Header> headers = new ArrayList<>();
      r.headers()
          .map()
          .forEach(
              (name, values) -> {
                if (!name.startsWith(":")) {
                  for (String v : values) {
                    headers.add(new Header(name.toLowerCase(Locale.ROOT), v));
                  }
                }
              });
      return new OutboundResponse(r.statusCode(), headers, r.body());
    }

    private OutboundFailure failure(Throwable error, String target) {
      Throwable cause = error;
      while ((cause instanceof CompletionException
              || cause instanceof java.util.concurrent.ExecutionException)
          && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof OutboundFailure f) {
        return f;
      }
      String where = "component '" + component + "': " + target + ": ";
      if (cause instanceof HttpConnectTimeoutException) {
        return new OutboundFailure(
            OutboundFailure.Kind.TIMEOUT,
            where + "no connection within " + config.connectTimeout().toMillis() + " ms",
            cause);
      }
      if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException) {
        return new OutboundFailure(
            OutboundFailure.Kind.TIMEOUT,
            where + "no complete response within " + limits.timeout().toMillis() + " ms",
            cause);
      }
      if (cause instanceof TooLarge) {
        return new OutboundFailure(
            OutboundFailure.Kind.RESPONSE_TOO_LARGE,
            where + "response over the limit of " + limits.maxResponseBytes() + " bytes",
            cause);
      }
      return new OutboundFailure(
          OutboundFailure.Kind.CONNECTION_FAILED, where + String.valueOf(cause), cause);
    }

    /**
     * Refuses the node's own ports on any address of this machine: the host name is resolved here,
     * and the JDK's client resolves it again from the same cache when it connects.
     */
    private void checkNotThisNode(URI uri) {
      int port = port(uri);
      String what = config.nodePorts().get(port);
      if (what == null && port == config.ingressPort() && !mayCallIngress) {
        what = "public HTTP";
      }
      if (what == null || port == 0) {
        return;
      }
      String host = uri.getHost();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      InetAddress[] addresses;
      try {
        addresses = InetAddress.getAllByName(host);
      } catch (UnknownHostException e) {
        throw new OutboundFailure(
            OutboundFailure.Kind.CONNECTION_FAILED,
            "component '" + component + "': cannot resolve " + uri.getHost(),
            e);
      }
      for (InetAddress address : addresses) {
        if (isThisMachine(address)) {
          log.info(
              "component '{}' may not reach {}:{}: this node's own {} port",
              component,
              uri.getHost(),
              port,
              what);
          throw new OutboundFailure(
              OutboundFailure.Kind.DENIED,
              "component '"
                  + component
                  + "' may not reach "
                  + uri.getHost()
                  + ":"
                  + port
                  + ": it is this node's own "
                  + what
                  + " port");
        }
      }
    }
  }

  static boolean isThisMachine(InetAddress address) {
    if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      // Cannot tell: count it as this machine, which only refuses the node's own ports.
      return true;
    }
  }

  /** The URL's scheme, lower case; only http and https are sent. */
  static String scheme(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new OutboundFailure(
          OutboundFailure.Kind.INVALID_REQUEST,
          "'" + uri + "' is not an absolute http or https URL");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null) {
      throw new OutboundFailure(
          OutboundFailure.Kind.INVALID_REQUEST,
          "'" + uri + "' has no host, or has user information");
    }
    return scheme;
  }

  static int port(URI uri) {
    int port = uri.getPort();
    if (port >= 0) {
      return port;
    }
    return scheme(uri).equals("https") ? 443 : 80;
  }

  /** The response passed its limit. */
  static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super("response too large");
    }
  }

  /** Collects a body up to {@code limit} bytes; past it, stops reading and fails. */
  private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final long limit;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final List<ByteBuffer> received = new ArrayList<>();
    private long size;
    private Flow.Subscription subscription;

    LimitedBody(long limit) {
      this.limit = limit;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      if (limit < 0) {
        subscription.cancel();
        result.completeExceptionally(new TooLarge());
        return;
      }
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        size += b.remaining();
        if (size > limit) {
          received.clear();
          subscription.cancel();
          result.completeExceptionally(new TooLarge());
          return;
        }
        received.add(b);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      received.clear();
      result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      if (result.isDone()) {
        return;
      }
      byte[] body = new byte[(int) size];
      int at = 0;
      for (ByteBuffer b : received) {
        int n = b.remaining();
        b.get(body, at, n);
        at += n;
      }
      received.clear();
      result.complete(body);
    }
  }
}
