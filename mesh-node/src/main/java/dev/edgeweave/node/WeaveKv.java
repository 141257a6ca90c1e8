package dev.edgeweave.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code weave kv}: an app's key-value store through the admin API ({@code /v1/apps/{app}/kv}). */
final class WeaveKv {

  private WeaveKv() {}

  static int run(List<String> args, Map<String, String> options, PrintStream out, PrintStream err)
      throws IOException, InterruptedException {
    if (args.isEmpty()) {
      throw new IllegalArgumentException("kv needs a command: get, set, delete, list or export");
    }
    String command = args.get(0);
    List<String> rest = args.subList(1, args.size());
    String store = "/kv/" + enc(options.getOrDefault("store", "default"));
    return switch (command) {
      case "get" -> {
        expect(rest, 2, "APP KEY");
        yield send(
            HttpRequest.BodyPublishers.noBody(),
            "GET",
            app(rest) + store + "/keys/" + enc(rest.get(1)),
            options,
            out,
            err);
      }
      case "set" -> {
        byte[] value;
        if (options.containsKey("file")) {
          expect(rest, 2, "APP KEY --file F");
          value = Files.readAllBytes(Path.of(options.get("file")));
        } else {
          expect(rest, 3, "APP KEY VALUE");
          value = rest.get(2).getBytes(StandardCharsets.UTF_8);
        }
        yield send(
            HttpRequest.BodyPublishers.ofByteArray(value),
            "PUT",
            app(rest) + store + "/keys/" + enc(rest.get(1)),
            options,
            out,
            err);
      }
      case "delete" -> {
        expect(rest, 2, "APP KEY");
        yield send(
            HttpRequest.BodyPublishers.noBody(),
            "DELETE",
            app(rest) + store + "/keys/" + enc(rest.get(1)),
            options,
            out,
            err);
      }
      case "list" -> {
        expect(rest, 1, "APP");
        yield list(app(rest) + store + "/keys", options, out, err);
      }
      case "export" -> {
        expect(rest, 1, "APP");
        yield send(
            HttpRequest.BodyPublishers.noBody(),
            "GET",
            app(rest) + store + "/export",
            options,
            out,
            err);
      }
      default -> throw new IllegalArgumentException("unknown kv command '" + command + "'");
    };
  }

  /** Every page of keys, one key a line. */
  private static int list(
      String path, Map<String, String> options, PrintStream out, PrintStream err)
      throws IOException, InterruptedException {
    String cursor = null;
    do {
      String query = cursor == null ? "" : "?cursor=" + enc(cursor);
      HttpResponse<String> response =
          client()
              .send(
                  request("GET", path + query, HttpRequest.BodyPublishers.noBody(), options)
                      .build(),
                  HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (response.statusCode() != 200) {
        err.println(response.body().strip());
        return 1;
      }
      Page page = Page.parse(response.body());
      page.keys().forEach(out::println);
      cursor = page.cursor();
    } while (cursor != null);
    return 0;
  }

  /** Sends one request; a 2xx body goes to {@code out} byte for byte, anything else to err. */
  private static int send(
      HttpRequest.BodyPublisher body,
      String method,
      String path,
      Map<String, String> options,
      PrintStream out,
      PrintStream err)
      throws IOException, InterruptedException {
    HttpResponse<InputStream> response =
        client()
            .send(
                request(method, path, body, options).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() / 100 == 2) {
        in.transferTo(out);
        out.flush();
        return 0;
      }
      err.println(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
      return 1;
    }
  }

  private static HttpRequest.Builder request(
      String method, String path, HttpRequest.BodyPublisher body, Map<String, String> options)
      throws IOException {
    return HttpRequest.newBuilder(URI.create(Weave.adminUrl(options) + path))
        .timeout(Weave.ADMIN_REQUEST_TIMEOUT)
        .header("Authorization", "Bearer " + Weave.token(options))
        .method(method, body);
  }

  private static HttpClient client() {
    return HttpClient.newHttpClient();
  }

  private static String app(List<String> rest) {
    return "/v1/apps/" + enc(rest.get(0));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static void expect(List<String> rest, int count, String what) {
    if (rest.size() != count) {
      throw new IllegalArgumentException("expected " + what + ", got " + rest);
    }
  }

  /** A page of {@code GET .../keys}: {@code {"keys":[...],"cursor":"..."|null}}. */
  record Page(List<String> keys, String cursor) {

    static Page parse(String json) {
      Reader r = new Reader(json);
      r.expect("{\"keys\":[");
      List<String> keys = new ArrayList<>();
      if (!r.take(']')) {
        do {
          keys.add(r.string());
        } while (r.take(','));
        r.expect("]");
      }
      r.expect(",\"cursor\":");
      String cursor = r.take('n') ? null : r.string();
      return new Page(keys, cursor);
    }
  }

  /** Reads the JSON strings the admin API writes. */
  private static final class Reader {
    private final String s;
    private int i;

    Reader(String s) {
      this.s = s;
    }

    void expect(String literal) {
      if (!s.startsWith(literal, i)) {
        throw new IllegalStateException("unexpected answer from the node: " + s);
      }
      i += literal.length();
    }

    boolean take(char c) {
      if (i < s.length() && s.charAt(i) == c) {
        i++;
        return true;
      }
      return false;
    }

    String string() {
      expect("\"");
      StringBuilder out = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == '"') {
          return out.toString();
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        char e = s.charAt(i++);
        switch (e) {
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            out.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          }
          default -> out.append(e);
        }
      }
      throw new IllegalStateException("unexpected answer from the node: " + s);
    }
  }
}
