package dev.edgeweave.ingress;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Reads a request body under our own limit, so that Pekko's whole-entity limits ({@code
 * max-content-length}, {@code max-to-strict-bytes}) never answer instead of us. At most {@code
 * limit} bytes are held. A body over the limit is read to its end and thrown away (within the read
 * timeout), so the client, which is usually still sending, gets to read the 413 and can keep its
 * connection; a client that asked to wait ({@code Expect: 100-continue}) is refused before it
 * sends.
 */
final class RequestBodies {

  private RequestBodies() {}

  /** What became of a request body. */
  sealed interface Outcome permits Read, TooLarge, TimedOut, Broken {}

  /** The whole body, within the limit. */
  record Read(ByteString body) implements Outcome {}

  /**
   * The body is over the limit. {@code drained}: it was read to its end, and the connection can
   * serve the next request; otherwise it must be closed after the refusal.
   */
  record TooLarge(boolean drained) implements Outcome {}

  /** The body did not arrive within the read timeout; the connection must be closed. */
  record TimedOut() implements Outcome {}

  /** The body could not be read (malformed chunks, the client went away). */
  record Broken(Throwable cause) implements Outcome {}

  /** Asks Pekko to close the connection after this response. */
  static final Connection CLOSE = Connection.create("close");

  static CompletionStage<Outcome> read(
      HttpRequest request, long limit, Duration timeout, Materializer materializer) {
    HttpEntity entity = request.entity();
    if (entity instanceof HttpEntity.Strict strict) {
      ByteString data = strict.getData();
      return CompletableFuture.completedFuture(
          data.size() > limit ? new TooLarge(true) : new Read(data));
    }
    OptionalLong declared = entity.getContentLengthOption();
    if (declared.isPresent() && declared.getAsLong() > limit && expectsContinue(request)) {
      // Not pulling the entity keeps Pekko from sending "100 Continue": the body never comes.
      return CompletableFuture.completedFuture(new TooLarge(false));
    }
    Collector collector =
        new Collector(declared.isPresent() && declared.getAsLong() > limit ? -1 : limit);
    return entity
        .withoutSizeLimit()
        .getDataBytes()
        .completionTimeout(timeout)
        .runFold(collector, Collector::add, materializer)
        .handle(
            (done, error) -> {
              if (error == null) {
                return collector.overLimit() ? new TooLarge(true) : new Read(collector.result());
              }
              Throwable cause = error instanceof CompletionException ? error.getCause() : error;
              if (collector.overLimit()) {
                return new TooLarge(false);
              }
              return cause instanceof TimeoutException ? new TimedOut() : new Broken(cause);
            });
  }

  private static boolean expectsContinue(HttpRequest request) {
    return request
        .getHeader("Expect")
        .map(h -> h.value().trim().equalsIgnoreCase("100-continue"))
        .orElse(false);
  }

  /** Gathers the body while it fits; past the limit, only counts what it throws away. */
  private static final class Collector {
    private final long limit;
    private ByteStringBuilder bytes = ByteString.createBuilder();
    private long size;
    private boolean overLimit;

    /** {@code limit} below zero: the body is known to be too large, keep nothing. */
    Collector(long limit) {
      this.limit = limit;
      this.overLimit = limit < 0;
      if (overLimit) {
        bytes = null;
      }
    }

    Collector add(ByteString chunk) {
      if (overLimit) {
        return this;
      }
      size += chunk.size();
      if (size > limit) {
        overLimit = true;
        bytes = null;
      } else {
        bytes.append(chunk);
      }
      return this;
    }

    boolean overLimit() {
      return overLimit;
    }

    ByteString result() {
      return bytes.result();
    }
  }
}
