package dev.edgeweave.faults;

import dev.edgeweave.cluster.WeaveNode;
import dev.edgeweave.faults.History.Kind;
import dev.edgeweave.faults.History.Op;
import dev.edgeweave.faults.History.Outcome;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * KV clients, one per node, each calling the probe app (the {@code weave-kv} test guest, which
 * calls the store through the weave ABI) on its node's public port, one operation after another: a
 * set of one of its own keys, an increment with a fresh operation id of a shared counter, a
 * compare-and-swap of its own key from the value it last wrote. Every call goes into the {@link
 * History}. Counters rotate every {@link #INCREMENTS_PER_COUNTER} increments so no counter holds
 * more operation ids per node than the store keeps ({@code max-operation-ids-per-counter}, 64):
 * past it a retried id may count again, as kv-crdt's README says.
 */
final class KvWorkload {

  static final int INCREMENTS_PER_COUNTER = 48;
  static final int KEYS_PER_CLIENT = 4;
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);
  static final Duration PAUSE = Duration.ofMillis(60);

  private final String app;
  private final String prefix;
  private final History history;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final AtomicLong increments = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  /** Clients of {@code app}'s default store; every key they use starts with {@code prefix}. */
  KvWorkload(String app, String prefix, History history) {
    this.app = app;
    this.prefix = prefix;
    this.history = history;
  }

  /** Starts one client per node; a client keeps calling its node whatever happens to it. */
  void start(List<WeaveNode> nodes) {
    running = true;
    for (WeaveNode node : nodes) {
      Thread t = new Thread(() -> client(node), "kv-client-" + node);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
  }

  /** Stops the clients and waits for their last calls. */
  void stop() {
    running = false;
    for (Thread t : threads) {
      try {
        t.join(CALL_TIMEOUT.plusSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    threads.clear();
  }

  private void client(WeaveNode node) {
    String client = node.name();
    long seq = 0;
    String casValue = null; // this client's last acknowledged swap; null: the key is missing
    boolean casKnown = true;
    boolean casCertain = true; // casValue is this client's own acknowledged write (or missing)
    while (running) {
      seq++;
      Op op;
      switch ((int) (seq % 3)) {
        case 0 -> {
          String key = prefix + "r-" + client + "-" + (seq % KEYS_PER_CLIENT);
          op = call(node, client, Kind.SET, key, client + "-" + seq, null, null, false);
        }
        case 1 -> {
          long n = increments.getAndIncrement();
          String key = prefix + "n-" + (n / INCREMENTS_PER_COUNTER);
          op = call(node, client, Kind.INCREMENT, key, null, null, client + "-" + seq, false);
        }
        default -> {
          String key = prefix + "c-" + client;
          if (!casKnown) {
            casValue = read(node, key);
            casKnown = true;
            casCertain = false;
          }
          op = call(node, client, Kind.CAS, key, client + "-" + seq, casValue, null, casCertain);
          if (op.swapped()) {
            casValue = op.value();
            casCertain = true;
          } else {
            // Refused, failed or indeterminate: read the key before the next swap. (Only a swap
            // from the client's own acknowledged write is "certain"; a read may be stale.)
            casKnown = false;
          }
        }
      }
      if (op.outcome() == Outcome.FAIL && op.result().startsWith("refused")) {
        sleep(Duration.ofMillis(250));
      }
      sleep(PAUSE);
    }
  }

  /**
   * Sends every increment that was never acknowledged again, with its operation id, to the given
   * nodes until each is acknowledged or {@code timeout} passes. After it the counters must equal
   * the acknowledged increments exactly.
   */
  void settleIncrements(Supplier<List<WeaveNode>> nodes, Duration timeout) {
    Map<String, Op> unresolved = new LinkedHashMap<>();
    Set<String> acked = new HashSet<>();
    for (Op op : history.ops()) {
      if (op.kind() == Kind.INCREMENT) {
        unresolved.putIfAbsent(op.operationId(), op);
        if (op.outcome() == Outcome.OK) {
          acked.add(op.operationId());
        }
      }
    }
    unresolved.keySet().removeAll(acked);
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Op op : unresolved.values()) {
      while (System.nanoTime() < deadline) {
        List<WeaveNode> live = nodes.get();
        WeaveNode node = live.get(ThreadLocalRandom.current().nextInt(live.size()));
        Op retry =
            call(node, "settle", Kind.INCREMENT, op.key(), null, null, op.operationId(), false);
        if (retry.outcome() == Outcome.OK) {
          break;
        }
        sleep(Duration.ofMillis(250));
      }
    }
  }

  private Op call(
      WeaveNode node,
      String client,
      Kind kind,
      String key,
      String value,
      String expected,
      String operationId,
      boolean certain) {
    String query =
        switch (kind) {
          case SET -> "set:default:" + key + ":" + value;
          case INCREMENT -> "incr:default:" + key + ":1:" + operationId;
          case CAS -> "cas:default:" + key + ":" + (expected == null ? "" : expected) + ":" + value;
        };
    long invoked = System.nanoTime();
    Outcome outcome;
    String result;
    try {
      HttpResponse<String> response = get(node, query);
      String body = response.body().trim();
      if (response.statusCode() == 200) {
        if (body.equals("status 0") || body.matches("-?\\d+") || body.startsWith("status 0 ")) {
          outcome = Outcome.OK;
          result = body.startsWith("status 0 ") ? body.substring(9) : body;
        } else if (body.startsWith("status 16")) {
          outcome = Outcome.INFO; // UNAVAILABLE: the write may still apply
          result = body;
        } else {
          outcome = Outcome.FAIL;
          result = body;
        }
      } else {
        outcome = response.statusCode() >= 500 ? Outcome.INFO : Outcome.FAIL;
        result = "HTTP " + response.statusCode();
      }
    } catch (ConnectException | HttpConnectTimeoutException e) {
      outcome = Outcome.FAIL;
      result = "refused: " + e;
    } catch (IOException e) {
      outcome = Outcome.INFO;
      result = String.valueOf(e);
    }
    Op op =
        new Op(
            history.nextId(),
            client,
            node.name(),
            kind,
            key,
            value,
            expected,
            operationId,
            certain,
            invoked,
            System.nanoTime(),
            outcome,
            result);
    history.add(op);
    return op;
  }

  /** The key's value as the node reads it; null when missing or unreadable. */
  private String read(WeaveNode node, String key) {
    try {
      HttpResponse<String> response = get(node, "get:default:" + key);
      String body = response.body().trim();
      return response.statusCode() == 200 && !body.startsWith("status ") ? body : null;
    } catch (IOException e) {
      return null;
    }
  }

  private HttpResponse<String> get(WeaveNode node, String query) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://" + node.host() + ":" + node.httpPort() + "/kv?" + query))
            .header("Host", app + ".localhost")
            .timeout(CALL_TIMEOUT)
            // POST, not GET: the JDK client silently resends a GET whose kept-alive connection
            // closed unanswered, so a node killed after applying a write but before answering
            // turned into "connection refused" — a write recorded as surely not applied that was.
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
