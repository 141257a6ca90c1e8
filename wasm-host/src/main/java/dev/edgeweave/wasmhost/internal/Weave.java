package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.edgeweave.wasmhost.Header;
import dev.edgeweave.wasmhost.KvFailure;
import dev.edgeweave.wasmhost.KvStoreHandle;
import dev.edgeweave.wasmhost.OutboundFailure;
import dev.edgeweave.wasmhost.OutboundHttp;
import dev.edgeweave.wasmhost.OutboundRequest;
import dev.edgeweave.wasmhost.OutboundResponse;
import dev.edgeweave.wasmhost.internal.GuestPointers.Refused;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;

/**
 * The {@code weave} host ABI v1 (docs/ABI.md): key-value stores, variables, logging and outbound
 * HTTP for guests. Every function returns an i32 status and writes its results through
 * out-pointers; every pointer and length is checked against the guest's memory before anything is
 * read, written or waited for.
 *
 * <p>Like {@link Wasi}, the functions hold no state: they find the invocation through {@link
 * WasiContext#current()}, and what it may reach through its capabilities.
 */
public final class Weave {
  public static final String MODULE = "weave";

  // Status codes of the ABI; docs/ABI.md lists them.
  static final int OK = 0;
  static final int BUFFER_TOO_SMALL = 1;
  static final int NOT_FOUND = 2;
  static final int FAULT = 3;
  static final int INVALID_ARGUMENT = 4;
  static final int INVALID_UTF8 = 5;
  static final int INVALID_HANDLE = 6;
  static final int TOO_MANY_HANDLES = 7;
  static final int NO_SUCH_STORE = 8;
  static final int ACCESS_DENIED = 9;
  static final int STORE_TABLE_FULL = 10;
  static final int OTHER = 11;
  static final int KEY_TOO_LARGE = 12;
  static final int VALUE_TOO_LARGE = 13;
  static final int RATE_LIMITED = 14;
  static final int NOT_A_COUNTER = 15;
  static final int UNAVAILABLE = 16;
  // Outbound HTTP's own statuses start at 32, apart from the key-value ones.
  static final int HTTP_TIMEOUT = 32;
  static final int HTTP_REQUEST_TOO_LARGE = 33;
  static final int HTTP_RESPONSE_TOO_LARGE = 34;
  static final int HTTP_TOO_MANY_REQUESTS = 35;
  static final int HTTP_BUSY = 36;
  static final int HTTP_CONNECTION_FAILED = 37;
  static final int HIGHEST_STATUS = HTTP_CONNECTION_FAILED;

  /** Store labels, variable names and operation ids longer than this are INVALID_ARGUMENT. */
  static final int MAX_NAME_BYTES = 1024;

  /** Stores one invocation may hold open. */
  static final int MAX_KV_HANDLES = 64;

  /** Keys one kv_keys call may ask for (the store's own bound). */
  static final int MAX_PAGE_SIZE = 10000;

  /** The longest method (an HTTP token) http_send takes. */
  static final int MAX_METHOD_BYTES = 32;

  /** The longest URL http_send takes. */
  static final int MAX_URL_BYTES = 8192;

  /** The most header bytes http_send takes ("Name: value" lines). */
  static final int MAX_HTTP_HEADER_BYTES = 64 * 1024;

  /** A log message is cut to this many bytes. */
  static final int MAX_LOG_BYTES = 4096;

  private static final String[] LEVELS = {"trace", "debug", "info", "warn", "error"};

  private static final long[][] RESULTS = new long[HIGHEST_STATUS + 1][];

  static {
    for (int i = 0; i < RESULTS.length; i++) {
      RESULTS[i] = new long[] {i};
    }
  }

  private static final ValType I32 = ValType.I32;
  private static final ValType I64 = ValType.I64;

  private static final Map<String, HostFunction> FUNCTIONS = build();

  private Weave() {}

  /** The host function for {@code weave.<name>}, if the ABI defines it. */
  public static Optional<HostFunction> function(String name) {
    return Optional.ofNullable(FUNCTIONS.get(name));
  }

  /** Names of all functions provided, sorted. */
  public static List<String> functionNames() {
    return List.copyOf(FUNCTIONS.keySet());
  }

  @FunctionalInterface
  private interface Call {
    int apply(Memory memory, WasiContext context, long[] args);
  }

  private static Map<String, HostFunction> build() {
    Map<String, HostFunction> f = new TreeMap<>();
    def(f, "kv_open", Weave::kvOpen, I32, I32, I32);
    def(f, "kv_get", Weave::kvGet, I32, I32, I32, I32, I32, I32);
    def(f, "kv_set", Weave::kvSet, I32, I32, I32, I32, I32);
    def(f, "kv_delete", Weave::kvDelete, I32, I32, I32);
    def(f, "kv_exists", Weave::kvExists, I32, I32, I32, I32);
    def(f, "kv_keys", Weave::kvKeys, I32, I32, I32, I32, I32, I32, I32);
    def(f, "kv_increment", Weave::kvIncrement, I32, I32, I32, I64, I32, I32, I32);
    def(f, "kv_cas", Weave::kvCas, I32, I32, I32, I32, I32, I32, I32, I32, I32);
    def(f, "variable_get", Weave::variableGet, I32, I32, I32, I32, I32);
    def(f, "log", Weave::log, I32, I32, I32);
    def(f, "http_send", Weave::httpSend, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32);
    def(f, "http_response_headers", Weave::httpResponseHeaders, I32, I32, I32, I32);
    def(f, "http_response_body", Weave::httpResponseBody, I32, I32, I32, I32);
    return Collections.unmodifiableMap(f);
  }

  private static void def(
      Map<String, HostFunction> into, String name, Call call, ValType... params) {
    FunctionType type = FunctionType.of(List.of(params), List.of(I32));
    into.put(
        name,
        new HostFunction(
            MODULE,
            name,
            type,
            (instance, args) -> {
              try {
                return RESULTS[call.apply(instance.memory(), WasiContext.current(), args)];
              } catch (Refused refused) {
                return RESULTS[status(refused)];
              } catch (OutboundFailure failure) {
                WasiContext.current()
                    .stderrBuffer()
                    .append(
                        ("weave." + name + ": " + failure.getMessage() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                return RESULTS[status(failure.kind())];
              } catch (KvFailure failure) {
                // The guest gets a status; the reason (the store, the component) goes to its
                // stderr, which the node logs and quotes when the request fails.
                WasiContext.current()
                    .stderrBuffer()
                    .append(
                        ("weave." + name + ": " + failure.getMessage() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                return RESULTS[status(failure.kind())];
              }
            }));
  }

  private static int status(Refused refused) {
    return switch (refused.errno()) {
      case Wasi.EFAULT -> FAULT;
      case Wasi.EILSEQ -> INVALID_UTF8;
      default -> INVALID_ARGUMENT;
    };
  }

  static int status(KvFailure.Kind kind) {
    return switch (kind) {
      case NO_SUCH_STORE -> NO_SUCH_STORE;
      case ACCESS_DENIED -> ACCESS_DENIED;
      case STORE_TABLE_FULL -> STORE_TABLE_FULL;
      case OTHER -> OTHER;
      case KEY_TOO_LARGE -> KEY_TOO_LARGE;
      case VALUE_TOO_LARGE -> VALUE_TOO_LARGE;
      case RATE_LIMITED -> RATE_LIMITED;
      case NOT_A_COUNTER -> NOT_A_COUNTER;
      case UNAVAILABLE -> UNAVAILABLE;
    };
  }

  static int status(OutboundFailure.Kind kind) {
    return switch (kind) {
      case DENIED -> ACCESS_DENIED;
      case INVALID_REQUEST -> INVALID_ARGUMENT;
      case TIMEOUT -> HTTP_TIMEOUT;
      case REQUEST_TOO_LARGE -> HTTP_REQUEST_TOO_LARGE;
      case RESPONSE_TOO_LARGE -> HTTP_RESPONSE_TOO_LARGE;
      case TOO_MANY_REQUESTS -> HTTP_TOO_MANY_REQUESTS;
      case BUSY -> HTTP_BUSY;
      case CONNECTION_FAILED -> HTTP_CONNECTION_FAILED;
    };
  }

  // ---- key-value ----

  private static int kvOpen(Memory m, WasiContext c, long[] a) {
    int labelAt = GuestPointers.bytes(m, u32(a[0]), u32(a[1]));
    int out = GuestPointers.bytes(m, u32(a[2]), 4);
    String label = name(m, labelAt, u32(a[1]));
    KvStoreHandle store = c.capabilities().kv().open(label);
    int handle = c.addKvHandle(store, MAX_KV_HANDLES);
    if (handle < 0) {
      return TOO_MANY_HANDLES;
    }
    m.writeI32(out, handle);
    return OK;
  }

  private static int kvGet(Memory m, WasiContext c, long[] a) {
    long keyLen = u32(a[2]);
    int keyAt = GuestPointers.bytes(m, u32(a[1]), keyLen);
    long bufLen = u32(a[4]);
    int buf = GuestPointers.bytes(m, u32(a[3]), bufLen);
    int lenOut = GuestPointers.bytes(m, u32(a[5]), 4);
    KvStoreHandle store = c.kvHandle(a[0]);
    if (store == null) {
      return INVALID_HANDLE;
    }
    String key = key(m, store, keyAt, keyLen);
    Optional<byte[]> value = c.await(store.get(key));
    if (value.isEmpty()) {
      return NOT_FOUND;
    }
    return copyOut(m, value.get(), buf, bufLen, lenOut);
  }

  private static int kvSet(Memory m, WasiContext c, long[] a) {
    long keyLen = u32(a[2]);
    int keyAt = GuestPointers.bytes(m, u32(a[1]), keyLen);
    long valueLen = u32(a[4]);
    int valueAt = GuestPointers.bytes(m, u32(a[3]), valueLen);
    KvStoreHandle store = c.kvHandle(a[0]);
    if (store == null) {
      return INVALID_HANDLE;
    }
    String key = key(m, store, keyAt, keyLen);
    byte[] value = value(m, store, valueAt, valueLen);
    c.await(store.set(key, value));
    return OK;
  }

  private static int kvDelete(Memory m, WasiContext c, long[] a) {
    long keyLen = u32(a[2]);
    int keyAt = GuestPointers.bytes(m, u32(a[1]), keyLen);
    KvStoreHandle store = c.kvHandle(a[0]);
    if (store == null) {
      return INVALID_HANDLE;
    }
    c.await(store.delete(key(m, store, keyAt, keyLen)));
    return OK;
  }

  private static int kvExists(Memory m, WasiContext c, long[] a) {
    long keyLen = u32(a[2]);
    int keyAt = GuestPointers.bytes(m, u32(a[1]), keyLen);
    int out = GuestPointers.bytes(m, u32(a[3]), 4);
    KvStoreHandle store = c.kvHandle(a[0]);
    if (store == null) {
      return INVALID_HANDLE;
    }
    boolean exists = c.await(store.exists(key(m, store, keyAt, keyLen)));
    m.writeI32(out, exists ? 1 : 0);
    return OK;
  }

  private static int kvKeys(Memory m, WasiContext c, long[] a) {
    long cursorLen = u32(a[2]);
    int cursorAt = GuestPointers.bytes(m, u32(a[1]), cursorLen);
    long pageSize = u32(a[3]);
    long bufLen = u32(a[5]);
    int buf = GuestPointers.bytes(m, u32(a[4]), bufLen);
    int lenOut = GuestPointers.bytes(m, u32(a[6]), 4);
    KvStoreHandle store = c.kvHandle(a[0]);
    if (store == null) {
      return INVALID_HANDLE;
    }
    if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      return INVALID_ARGUMENT;
    }
    Optional<String> cursor =
        cursorLen == 0 ? Optional.empty() : Optional.of(key(m, store, cursorAt, cursorLen));
    KvStoreHandle.Page page = c.await(store.keys(cursor, (int) pageSize));
    byte[] next = page.cursor().map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
    byte[][] keys = new byte[page.keys().size()][];
    long size = 4L + next.length + 4;
    for (int i = 0; i < keys.length; i++) {
      keys[i] = page.keys().get(i).getBytes(StandardCharsets.UTF_8);
      size += 4L + keys[i].length;
    }
    if (size > bufLen) {
      m.writeI32(lenOut, (int) Math.min(size, 0xFFFF_FFFFL));
      return BUFFER_TOO_SMALL;
    }
    int at = buf;
    m.writeI32(at, next.length);
    m.write(at + 4, next);
    at += 4 + next.length;
    m.writeI32(at, keys.length);
    at += 4;
    for (byte[] key : keys) {
      m.writeI32(at, key.length);
      m.write(at + 4, key);
      at += 4 + key.length;
    }
    m.writeI32(lenOut, (int) size);
    return OK;
  }

  private static int kvIncrement(Memory m, WasiContext c, long[] a) {
    long keyLen = u32(a[2]);
    int keyAt = GuestPointers.bytes(m, u32(a[1]), keyLen);
    long opLen = u32(a[5]);
    int opAt = GuestPointers.bytes(m, u32(a[4]), opLen);
    int out = GuestPointers.bytes(m, u32(a[6]), 8);
    KvStoreHandle store = c.kvHandle(a[0]);
    if (store == null) {
      return INVALID_HANDLE;
    }
    String key = key(m, store, keyAt, keyLen);
    Optional<String> operationId =
        opLen == 0 ? Optional.empty() : Optional.of(name(m, opAt, opLen));
    long value = c.await(store.increment(key, a[3], operationId));
    m.writeLong(out, value);
    return OK;
  }

  private static int kvCas(Memory m, WasiContext c, long[] a) {
    long keyLen = u32(a[2]);
    int keyAt = GuestPointers.bytes(m, u32(a[1]), keyLen);
    long expectedLen = u32(a[4]);
    int expectedAt = GuestPointers.bytes(m, u32(a[3]), expectedLen);
    long present = u32(a[5]);
    long newLen = u32(a[7]);
    int newAt = GuestPointers.bytes(m, u32(a[6]), newLen);
    int out = GuestPointers.bytes(m, u32(a[8]), 4);
    KvStoreHandle store = c.kvHandle(a[0]);
    if (store == null) {
      return INVALID_HANDLE;
    }
    if (present > 1) {
      return INVALID_ARGUMENT;
    }
    String key = key(m, store, keyAt, keyLen);
    Optional<byte[]> expected =
        present == 1 ? Optional.of(value(m, store, expectedAt, expectedLen)) : Optional.empty();
    byte[] newValue = value(m, store, newAt, newLen);
    boolean swapped = c.await(store.compareAndSwap(key, expected, newValue));
    m.writeI32(out, swapped ? 1 : 0);
    return OK;
  }

  // ---- variables and log ----

  private static int variableGet(Memory m, WasiContext c, long[] a) {
    long nameLen = u32(a[1]);
    int nameAt = GuestPointers.bytes(m, u32(a[0]), nameLen);
    long bufLen = u32(a[3]);
    int buf = GuestPointers.bytes(m, u32(a[2]), bufLen);
    int lenOut = GuestPointers.bytes(m, u32(a[4]), 4);
    Optional<String> value = c.capabilities().variables().get(name(m, nameAt, nameLen));
    if (value.isEmpty()) {
      return NOT_FOUND;
    }
    return copyOut(m, value.get().getBytes(StandardCharsets.UTF_8), buf, bufLen, lenOut);
  }

  private static int log(Memory m, WasiContext c, long[] a) {
    long level = u32(a[0]);
    long len = u32(a[2]);
    int at = GuestPointers.bytes(m, u32(a[1]), len);
    if (level >= LEVELS.length) {
      return INVALID_ARGUMENT;
    }
    int n = (int) Math.min(len, MAX_LOG_BYTES);
    byte[] prefix =
        ("[" + LEVELS[(int) level].toUpperCase(Locale.ROOT) + "] ")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] line = new byte[prefix.length + n + 1];
    System.arraycopy(prefix, 0, line, 0, prefix.length);
    if (n > 0) {
      System.arraycopy(m.readBytes(at, n), 0, line, prefix.length, n);
    }
    line[line.length - 1] = '\n';
    c.stderrBuffer().append(line);
    return OK;
  }

  // ---- outbound HTTP ----

  private static int httpSend(Memory m, WasiContext c, long[] a) {
    long methodLen = u32(a[1]);
    int methodAt = GuestPointers.bytes(m, u32(a[0]), methodLen);
    long urlLen = u32(a[3]);
    int urlAt = GuestPointers.bytes(m, u32(a[2]), urlLen);
    long headersLen = u32(a[5]);
    int headersAt = GuestPointers.bytes(m, u32(a[4]), headersLen);
    long bodyLen = u32(a[7]);
    int bodyAt = GuestPointers.bytes(m, u32(a[6]), bodyLen);
    int statusOut = GuestPointers.bytes(m, u32(a[8]), 4);
    int responseOut = GuestPointers.bytes(m, u32(a[9]), 4);
    if (methodLen < 1 || methodLen > MAX_METHOD_BYTES) {
      return INVALID_ARGUMENT;
    }
    if (urlLen > MAX_URL_BYTES || headersLen > MAX_HTTP_HEADER_BYTES) {
      return INVALID_ARGUMENT;
    }
    OutboundHttp http = c.capabilities().outbound();
    if (bodyLen > http.limits().maxRequestBytes()) {
      throw new OutboundFailure(
          OutboundFailure.Kind.REQUEST_TOO_LARGE,
          "request body of "
              + bodyLen
              + " bytes is over the limit of "
              + http.limits().maxRequestBytes());
    }
    String method = utf8(m, methodAt, (int) methodLen);
    if (!method.chars().allMatch(Weave::isTokenChar)) {
      return INVALID_ARGUMENT;
    }
    URI uri;
    try {
      uri = new URI(utf8(m, urlAt, (int) urlLen));
    } catch (URISyntaxException e) {
      return INVALID_ARGUMENT;
    }
    if (!c.countHttpRequest(http.limits().maxRequests())) {
      throw new OutboundFailure(
          OutboundFailure.Kind.TOO_MANY_REQUESTS,
          "this request sent " + http.limits().maxRequests() + " outbound requests already");
    }
    // The allow-list first: a denied host costs the node no more than the URL.
    http.permit(uri);
    List<Header> headers = headers(utf8(m, headersAt, (int) headersLen));
    if (headers == null) {
      return INVALID_ARGUMENT;
    }
    byte[] body = bodyLen == 0 ? new byte[0] : m.readBytes(bodyAt, (int) bodyLen);
    CompletionStage<OutboundResponse> stage =
        http.send(new OutboundRequest(method, uri, headers, body));
    OutboundResponse response;
    try {
      response = c.await(stage, Weave::outboundFailure);
    } catch (RuntimeException e) {
      // The guest stopped waiting (wall time, interrupt): the exchange stops too.
      stage.toCompletableFuture().cancel(true);
      throw e;
    }
    m.writeI32(statusOut, response.status());
    m.writeI32(responseOut, c.addHttpResponse(response));
    return OK;
  }

  private static RuntimeException outboundFailure(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof OutboundFailure failure) {
        return failure;
      }
    }
    return new OutboundFailure(
        OutboundFailure.Kind.CONNECTION_FAILED, String.valueOf(cause), cause);
  }

  /** "Name: value" lines, separated by LF or CRLF; null if one is not a header. */
  private static List<Header> headers(String text) {
    List<Header> headers = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (line.isEmpty()) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 1 || !line.substring(0, colon).chars().allMatch(Weave::isTokenChar)) {
        return null;
      }
      String value = line.substring(colon + 1).strip();
      if (value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
        return null;
      }
      headers.add(new Header(line.substring(0, colon), value));
    }
    return headers;
  }

  /** RFC 9110's tchar. */
  private static boolean isTokenChar(int ch) {
    return (ch >= 'a' && ch <= 'z')
        || (ch >= 'A' && ch <= 'Z')
        || (ch >= '0' && ch <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(ch) >= 0;
  }

  private static int httpResponseHeaders(Memory m, WasiContext c, long[] a) {
    long bufLen = u32(a[2]);
    int buf = GuestPointers.bytes(m, u32(a[1]), bufLen);
    int lenOut = GuestPointers.bytes(m, u32(a[3]), 4);
    OutboundResponse response = c.httpResponse(a[0]);
    if (response == null) {
      return INVALID_HANDLE;
    }
    StringBuilder text = new StringBuilder();
    for (Header h : response.headers()) {
      text.append(h.name()).append(": ").append(h.value()).append('\n');
    }
    return copyOut(m, text.toString().getBytes(StandardCharsets.UTF_8), buf, bufLen, lenOut);
  }

  private static int httpResponseBody(Memory m, WasiContext c, long[] a) {
    long bufLen = u32(a[2]);
    int buf = GuestPointers.bytes(m, u32(a[1]), bufLen);
    int lenOut = GuestPointers.bytes(m, u32(a[3]), 4);
    OutboundResponse response = c.httpResponse(a[0]);
    if (response == null) {
      return INVALID_HANDLE;
    }
    return copyOut(m, response.body(), buf, bufLen, lenOut);
  }

  // ---- helpers ----

  private static long u32(long arg) {
    return GuestPointers.u32(arg);
  }

  /** Writes {@code data} to a checked buffer, or says how long a buffer it needs. */
  private static int copyOut(Memory m, byte[] data, int buf, long bufLen, int lenOut) {
    m.writeI32(lenOut, data.length);
    if (data.length > bufLen) {
      return BUFFER_TOO_SMALL;
    }
    m.write(buf, data);
    return OK;
  }

  private static String key(Memory m, KvStoreHandle store, int at, long len) {
    if (len > store.maxKeyBytes()) {
      throw new KvFailure(KvFailure.Kind.KEY_TOO_LARGE, "key of " + len + " bytes");
    }
    return utf8(m, at, (int) len);
  }

  private static byte[] value(Memory m, KvStoreHandle store, int at, long len) {
    if (len > store.maxValueBytes()) {
      throw new KvFailure(KvFailure.Kind.VALUE_TOO_LARGE, "value of " + len + " bytes");
    }
    return len == 0 ? new byte[0] : m.readBytes(at, (int) len);
  }

  private static String name(Memory m, int at, long len) {
    if (len > MAX_NAME_BYTES) {
      throw Refused.EINVAL;
    }
    return utf8(m, at, (int) len);
  }

  private static String utf8(Memory m, int at, int len) {
    if (len == 0) {
      return "";
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(m.readBytes(at, len)))
          .toString();
    } catch (CharacterCodingException e) {
      throw Refused.EILSEQ;
    }
  }
}
