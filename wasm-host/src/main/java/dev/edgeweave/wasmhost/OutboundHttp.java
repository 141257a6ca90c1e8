package dev.edgeweave.wasmhost;

import java.net.URI;
import java.util.concurrent.CompletionStage;

/**
 * The outbound HTTP one component may make: only to the hosts it declared, under its {@link
 * OutboundLimits}. The node makes one per component with {@link OutboundHttpClient#forComponent};
 * the engine calls it on the guest's thread.
 */
public interface OutboundHttp {
  /** No outbound HTTP at all: every host is {@code DENIED}. */
  OutboundHttp NONE =
      new OutboundHttp() {
        @Override
        public OutboundLimits limits() {
          return OutboundLimits.defaults();
        }

        @Override
        public void permit(URI uri) {
          throw new OutboundFailure(
              OutboundFailure.Kind.DENIED,
              "no outbound HTTP is available to this component (asked for " + uri + ")");
        }

        @Override
        public CompletionStage<OutboundResponse> send(OutboundRequest request) {
          permit(request.uri());
          throw new IllegalStateException("unreachable");
        }
      };

  /** What one invocation may send and receive. */
  OutboundLimits limits();

  /**
   * Checks {@code uri} against the component's allowed hosts, before anything else of the request
   * is read.
   *
   * @throws OutboundFailure {@code DENIED} naming the component and the host, or {@code
   *     INVALID_REQUEST} for a URL that is not absolute http(s) with a host
   */
  void permit(URI uri);

  /**
   * Sends the request (checked again with {@link #permit}); completes with the response, or
   * exceptionally with an {@link OutboundFailure}. May also throw one before sending.
   */
  CompletionStage<OutboundResponse> send(OutboundRequest request);
}
