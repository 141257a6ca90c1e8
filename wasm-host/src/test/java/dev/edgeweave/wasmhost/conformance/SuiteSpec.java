package dev.edgeweave.wasmhost.conformance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One program's specification in the WASI test suite ({@code NAME.json} beside {@code NAME.wasm}):
 * arguments, environment, the directory preopened as {@code /} ({@code root}, relative to the
 * spec), and the expected exit code, stdout and stderr. A missing file or field takes the suite's
 * default (no arguments, empty environment, no directory, exit code 0, output not checked).
 */
record SuiteSpec(
    List<String> args,
    Map<String, String> env,
    Optional<String> root,
    int exitCode,
    Optional<String> stdout,
    Optional<String> stderr) {

  static final SuiteSpec DEFAULT =
      new SuiteSpec(List.of(), Map.of(), Optional.empty(), 0, Optional.empty(), Optional.empty());

  /** Parses a spec; a field this runner does not know (such as {@code dirs}) is an error. */
  static SuiteSpec parse(String json) {
    Object value = new Json(json).value();
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("a spec is a JSON object: " + json);
    }
    List<String> args = List.of();
    Map<String, String> env = Map.of();
    Optional<String> root = Optional.empty();
    int exitCode = 0;
    Optional<String> stdout = Optional.empty();
    Optional<String> stderr = Optional.empty();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Object v = e.getValue();
      switch ((String) e.getKey()) {
        case "args" -> {
          List<String> list = new ArrayList<>();
          for (Object item : (List<?>) v) {
            list.add((String) item);
          }
          args = List.copyOf(list);
        }
        case "env" -> {
          Map<String, String> m = new LinkedHashMap<>();
          ((Map<?, ?>) v).forEach((k, x) -> m.put((String) k, (String) x));
          env = m;
        }
        case "root" -> root = Optional.of((String) v);
        case "exit_code" -> exitCode = ((Number) v).intValue();
        case "stdout" -> stdout = Optional.of((String) v);
        case "stderr" -> stderr = Optional.of((String) v);
        default ->
            throw new IllegalArgumentException(
                "spec field '" + e.getKey() + "' is not supported by this runner");
      }
    }
    return new SuiteSpec(args, env, root, exitCode, stdout, stderr);
  }

  /** Just enough JSON for the suite's specs: objects, arrays, strings, numbers, literals. */
  private static final class Json {
    private final String text;
    private int at;

    Json(String text) {
      this.text = text;
    }

    Object value() {
      skipSpace();
      if (at >= text.length()) {
        throw error("unexpected end");
      }
      char ch = text.charAt(at);
      Object result;
      if (ch == '{') {
        result = object();
      } else if (ch == '[') {
        result = array();
      } else if (ch == '"') {
        result = string();
      } else if (text.startsWith("true", at)) {
        at += 4;
        result = Boolean.TRUE;
      } else if (text.startsWith("false", at)) {
        at += 5;
        result = Boolean.FALSE;
      } else if (text.startsWith("null", at)) {
        at += 4;
        result = null;
      } else {
        result = number();
      }
      skipSpace();
      return result;
    }

    private Map<String, Object> object() {
      Map<String, Object> map = new LinkedHashMap<>();
      at++;
      skipSpace();
      if (peek() == '}') {
        at++;
        return map;
      }
      while (true) {
        skipSpace();
        String key = string();
        skipSpace();
        expect(':');
        map.put(key, value());
        if (peek() == ',') {
          at++;
          continue;
        }
        expect('}');
        return map;
      }
    }

    private List<Object> array() {
      List<Object> list = new ArrayList<>();
      at++;
      skipSpace();
      if (peek() == ']') {
        at++;
        return list;
      }
      while (true) {
        list.add(value());
        if (peek() == ',') {
          at++;
          continue;
        }
        expect(']');
        return list;
      }
    }

    private String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (true) {
        char ch = text.charAt(at++);
        if (ch == '"') {
          return out.toString();
        }
        if (ch != '\\') {
          out.append(ch);
          continue;
        }
        char esc = text.charAt(at++);
        switch (esc) {
          case 'n' -> out.append('\n');
          case 't' -> out.append('\t');
          case 'r' -> out.append('\r');
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'u' -> {
            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
            at += 4;
          }
          default -> out.append(esc);
        }
      }
    }

    private Number number() {
      int start = at;
      while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
        at++;
      }
      if (start == at) {
        throw error("unexpected '" + text.charAt(at) + "'");
      }
      String n = text.substring(start, at);
      return n.contains(".") || n.contains("e") || n.contains("E")
          ? Double.parseDouble(n)
          : Long.parseLong(n);
    }

    private char peek() {
      return at < text.length() ? text.charAt(at) : '\0';
    }

    private void expect(char ch) {
      if (peek() != ch) {
        throw error("expected '" + ch + "'");
      }
      at++;
    }

    private void skipSpace() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
        at++;
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at " + at + " in " + text);
    }
  }
}
