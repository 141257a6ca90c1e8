package dev.edgeweave.ingress;

import com.typesafe.config.Config;
import dev.edgeweave.kv.KeyPage;
import dev.edgeweave.kv.KvException;
import dev.edgeweave.kv.KvService;
import dev.edgeweave.kv.KvStore;
import dev.edgeweave.kv.ReplicatedKvService;
import dev.edgeweave.sharding.FunctionCatalog;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The admin API's view of an app's key-value stores, for its operator:
 *
 * <pre>
 * GET    /v1/apps/{app}/kv/{store}/keys?cursor=C&amp;limit=N   a page of keys, and the next cursor
 * GET    /v1/apps/{app}/kv/{store}/keys/{key}     the value's bytes, 404 if missing
 * PUT    /v1/apps/{app}/kv/{store}/keys/{key}     body: the value; 204
 * DELETE /v1/apps/{app}/kv/{store}/keys/{key}     204, also when missing
 * GET    /v1/apps/{app}/kv/{store}/export         every key and value (base64), streamed as JSON
 * </pre>
 *
 * Keys and labels are percent-encoded UTF-8 path segments ({@code %2F} is a slash inside a key; an
 * empty key is {@code keys/}). Keys sit below {@code keys/} so that no key can be mistaken for the
 * listing. Only a deployed app's stores that the node offers it are reachable ({@link
 * KvService#open} refuses the others).
 */
final class KvAdminRoutes {

  /** Settings under {@code edgeweave.admin.kv}. */
  record Settings(int pageSize, int maxPageSize, int exportPageSize, Duration bodyReadTimeout) {
    static Settings fromConfig(Config root) {
      Config c = root.getConfig("edgeweave.admin.kv");
      return new Settings(
          c.getInt("page-size"),
          c.getInt("max-page-size"),
          c.getInt("export-page-size"),
          c.getDuration("body-read-timeout"));
    }
  }

  private static final String PREFIX = "/v1/apps/";

  private final ActorSystem<?> system;
  private final FunctionCatalog catalog;
  private final Materializer materializer;
  private final Settings settings;
  // The node starts the service at boot; looked up on first use so that an admin API without KV
  // requests never starts a replicator of its own.
  private volatile ReplicatedKvService kv;

  KvAdminRoutes(ActorSystem<?> system, FunctionCatalog catalog, Materializer materializer) {
    this.system = system;
    this.catalog = catalog;
    this.materializer = materializer;
    this.settings = Settings.fromConfig(system.settings().config());
  }

  /** Whether the request is for these routes: {@code /v1/apps/{app}/kv/...}. */
  static boolean handles(HttpRequest request) {
    String path = rawPath(request);
    if (!path.startsWith(PREFIX)) {
      return false;
    }
    String[] segments = path.substring(PREFIX.length()).split("/", -1);
    return segments.length >= 2 && segments[1].equals("kv");
  }

  CompletionStage<HttpResponse> apply(HttpRequest request) {
    HttpMethod method = request.method();
    // Only a PUT's body is read; every other body is dropped here, once.
    boolean put = method.equals(HttpMethods.PUT);
    if (!put) {
      request.discardEntityBytes(materializer);
    }
    Runnable dropPutBody =
        () -> {
          if (put) {
            request.discardEntityBytes(materializer);
          }
        };
    String[] raw = rawPath(request).substring(PREFIX.length()).split("/", -1);
    List<String> segments = new ArrayList<>();
    for (String s : raw) {
      Optional<String> decoded = decode(s);
      if (decoded.isEmpty()) {
        dropPutBody.run();
        return done(
            PublicIngress.text(
                StatusCodes.BAD_REQUEST, "path segment '" + s + "' is not percent-encoded UTF-8"));
      }
      segments.add(decoded.get());
    }
    // segments: app, "kv", store, then "keys" [key] or "export"
    String app = segments.get(0);
    if (catalog.app(app).isEmpty()) {
      dropPutBody.run();
      return done(PublicIngress.text(StatusCodes.NOT_FOUND, "no app named '" + app + "'"));
    }
    if (segments.size() < 4) {
      dropPutBody.run();
      return notFound(method, request);
    }
    KvStore store;
    try {
      store = service().open(app, segments.get(2));
    } catch (KvException e) {
      dropPutBody.run();
      return done(failure(e));
    }
    String what = segments.get(3);
    if (segments.size() == 4 && what.equals("keys") && method.equals(HttpMethods.GET)) {
      return keys(store, request);
    }
    if (segments.size() == 4 && what.equals("export") && method.equals(HttpMethods.GET)) {
      return export(store);
    }
    if (segments.size() == 5 && what.equals("keys")) {
      String key = segments.get(4);
      if (method.equals(HttpMethods.GET)) {
        return call(
            () ->
                store
                    .get(key)
                    .thenApply(
                        value ->
                            value
                                .map(
                                    bytes ->
                                        HttpResponse.create()
                                            .withEntity(
                                                HttpEntities.create(
                                                    ContentTypes.APPLICATION_OCTET_STREAM, bytes)))
                                .orElseGet(
                                    () ->
                                        PublicIngress.text(
                                            StatusCodes.NOT_FOUND,
                                            "no key '"
                                                + key
                                                + "' in store '"
                                                + store.label()
                                                + "' of app '"
                                                + app
                                                + "'"))));
      }
      if (method.equals(HttpMethods.PUT)) {
        return put(store, key, request);
      }
      if (method.equals(HttpMethods.DELETE)) {
        return call(() -> store.delete(key).thenApply(v -> noContent()));
      }
    }
    dropPutBody.run();
    return notFound(method, request);
  }

  private CompletionStage<HttpResponse> keys(KvStore store, HttpRequest request) {
    Optional<String> cursor = request.getUri().query().get("cursor").filter(c -> !c.isEmpty());
    Optional<String> limitParam = request.getUri().query().get("limit");
    int limit = settings.pageSize();
    if (limitParam.isPresent() && !limitParam.get().isEmpty()) {
      try {
        limit = Integer.parseInt(limitParam.get());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > settings.maxPageSize()) {
        return done(
            PublicIngress.text(
                StatusCodes.BAD_REQUEST,
                "limit must be a number in 1.."
                    + settings.maxPageSize()
                    + ", got '"
                    + limitParam.get()
                    + "'"));
      }
    }
    int pageSize = limit;
    return call(
        () ->
            store
                .keys(cursor, pageSize)
                .thenApply(
                    page -> {
                      Map<String, Object> out = new LinkedHashMap<>();
                      out.put("keys", page.keys());
                      out.put("cursor", page.cursor().orElse(null));
                      return json(out);
                    }));
  }

  private CompletionStage<HttpResponse> put(KvStore store, String key, HttpRequest request) {
    long limit = service().settings().forApp(store.app()).limits().maxValueBytes();
    return RequestBodies.read(request, limit, settings.bodyReadTimeout(), materializer)
        .thenComposeAsync(
            body -> {
              if (body instanceof RequestBodies.Read read) {
                return call(
                    () -> store.set(key, read.body().toArray()).thenApply(v -> noContent()));
              }
              if (body instanceof RequestBodies.TooLarge tooLarge) {
                HttpResponse refusal =
                    PublicIngress.text(
                        StatusCodes.CONTENT_TOO_LARGE,
                        "value exceeds the "
                            + limit
                            + " bytes app '"
                            + store.app()
                            + "' may store under one key");
                return done(tooLarge.drained() ? refusal : refusal.addHeader(RequestBodies.CLOSE));
              }
              if (body instanceof RequestBodies.TimedOut) {
                return done(
                    PublicIngress.text(
                            StatusCodes.REQUEST_TIMEOUT,
                            "value did not arrive within "
                                + settings.bodyReadTimeout().toMillis()
                                + " ms")
                        .addHeader(RequestBodies.CLOSE));
              }
              return done(
                  PublicIngress.text(StatusCodes.BAD_REQUEST, "value could not be read")
                      .addHeader(RequestBodies.CLOSE));
            },
            PublicIngress.SAME_THREAD);
  }

  /** Export state: the next page's cursor (empty: no more pages), and whether no entry was sent. */
  private record ExportCursor(Optional<String> cursor, boolean first) {}

  /**
   * Every entry, one page of keys at a time (each page's values read together), so the node holds
   * one page however large the store. A failure after the first bytes ends the response early: the
   * client sees JSON that does not close.
   */
  private CompletionStage<HttpResponse> export(KvStore store) {
    int pageSize = settings.exportPageSize();
    // The first page is read before answering, so a store that cannot be read gets its status.
    return call(
        () ->
            store
                .keys(Optional.empty(), pageSize)
                .thenCompose(first -> entries(store, first))
                .thenApply(
                    first -> {
                      Map<String, Object> head = new LinkedHashMap<>();
                      head.put("app", store.app());
                      head.put("store", store.label());
                      String open = Json.write(head);
                      ByteString prefix =
                          ByteString.fromString(
                              open.substring(0, open.length() - 1) + ",\"entries\":[\n");
                      Source<ByteString, ?> rest =
                          Source.unfoldAsync(
                              new ExportCursor(first.first().cursor(), first.second().isEmpty()),
                              state -> nextPage(store, state, pageSize));
                      Source<ByteString, ?> body =
                          Source.single(prefix.concat(ByteString.fromString(first.second())))
                              .concat(rest)
                              .concat(Source.single(ByteString.fromString("\n]}\n")));
                      return HttpResponse.create()
                          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body));
                    }));
  }

  private CompletionStage<Optional<Pair<ExportCursor, ByteString>>> nextPage(
      KvStore store, ExportCursor state, int pageSize) {
    if (state.cursor().isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return store
        .keys(state.cursor(), pageSize)
        .thenCompose(page -> entries(store, page))
        .thenApply(
            page -> {
              String text = page.second();
              boolean empty = text.isEmpty();
              String chunk = empty || state.first() ? text : ",\n" + text;
              ExportCursor next = new ExportCursor(page.first().cursor(), state.first() && empty);
              return Optional.of(Pair.create(next, ByteString.fromString(chunk)));
            });
  }

  /**
   * The page's entries as JSON objects separated by ",\n" (keys deleted meanwhile are left out).
   */
  private static CompletionStage<Pair<KeyPage, String>> entries(KvStore store, KeyPage page) {
    List<CompletableFuture<Optional<byte[]>>> values = new ArrayList<>();
    for (String key : page.keys()) {
      values.add(store.get(key).toCompletableFuture());
    }
    return CompletableFuture.allOf(values.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              StringBuilder out = new StringBuilder();
              for (int i = 0; i < values.size(); i++) {
                Optional<byte[]> value = values.get(i).join();
                if (value.isEmpty()) {
                  continue;
                }
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("key", page.keys().get(i));
                entry.put("value", Base64.getEncoder().encodeToString(value.get()));
                if (out.length() > 0) {
                  out.append(",\n");
                }
                out.append(Json.write(entry));
              }
              return Pair.create(page, out.toString());
            });
  }

  private ReplicatedKvService service() {
    ReplicatedKvService s = kv;
    if (s == null) {
      s = ReplicatedKvService.get(system);
      kv = s;
    }
    return s;
  }

  /** Runs a store call, answering its KvException with the status of its kind. */
  private static CompletionStage<HttpResponse> call(Supplier<CompletionStage<HttpResponse>> call) {
    CompletionStage<HttpResponse> stage;
    try {
      stage = call.get();
    } catch (KvException e) {
      return done(failure(e));
    }
    return stage.exceptionallyAsync(
        error -> failure(KvException.unwrap(error)), PublicIngress.SAME_THREAD);
  }

  /** The HTTP status of a failed KV call, with its reason. */
  static HttpResponse failure(KvException e) {
    StatusCode status =
        switch (e.kind()) {
          case NO_SUCH_STORE -> StatusCodes.NOT_FOUND;
          case ACCESS_DENIED -> StatusCodes.FORBIDDEN;
          case STORE_TABLE_FULL, VALUE_TOO_LARGE -> StatusCodes.CONTENT_TOO_LARGE;
          case KEY_TOO_LARGE, NOT_A_COUNTER, OTHER -> StatusCodes.BAD_REQUEST;
          case RATE_LIMITED -> StatusCodes.TOO_MANY_REQUESTS;
          case UNAVAILABLE, STORAGE_FAILURE -> StatusCodes.SERVICE_UNAVAILABLE;
        };
    HttpResponse response =
        PublicIngress.text(
            status, e.kind().name().toLowerCase(java.util.Locale.ROOT) + ": " + e.getMessage());
    return e.kind() == KvException.Kind.RATE_LIMITED
        ? response.addHeader(RawHeader.create("Retry-After", "1"))
        : response;
  }

  private static CompletionStage<HttpResponse> notFound(HttpMethod method, HttpRequest request) {
    return done(
        PublicIngress.text(
            StatusCodes.NOT_FOUND,
            "no admin endpoint " + method.value() + " " + request.getUri().path()));
  }

  private static HttpResponse noContent() {
    return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
  }

  private static HttpResponse json(Object body) {
    return HttpResponse.create()
        .withEntity(
            HttpEntities.create(
                ContentTypes.APPLICATION_JSON, Json.write(body).getBytes(StandardCharsets.UTF_8)));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  /** The path as the client encoded it, so that an encoded slash stays inside its segment. */
  private static String rawPath(HttpRequest request) {
    try {
      String path = java.net.URI.create(request.getUri().toString()).getRawPath();
      return path == null ? "" : path;
    } catch (IllegalArgumentException e) {
      // Not a path these routes serve; the admin API answers 404.
      return "";
    }
  }

  /** Percent-decodes one path segment as UTF-8 ('+' is a plus); empty if it is not valid. */
  static Optional<String> decode(String segment) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
    byte[] raw = segment.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '%') {
        if (i + 2 >= raw.length) {
          return Optional.empty();
        }
        int hi = Character.digit(raw[i + 1], 16);
        int lo = Character.digit(raw[i + 2], 16);
        if (hi < 0 || lo < 0) {
          return Optional.empty();
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else {
        bytes.write(raw[i]);
      }
    }
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes.toByteArray()))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }
}
