package dev.edgeweave.node.bench;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.node.Node;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;

/**
 * For the HTTP benchmark (scripts/bench-http.sh): one node serving an app directory through the
 * ingress, and in the same JVM a bare Pekko HTTP route answering the same text, so both are
 * measured in one run on one machine.
 *
 * <p>Arguments: PUBLIC_PORT BARE_PORT DATA_DIR APP_DIR... (every app directory is deployed)
 */
public final class IngressBenchServer {

  private IngressBenchServer() {}

  public static void main(String[] args) throws Exception {
    int publicPort = Integer.parseInt(args[0]);
    int barePort = Integer.parseInt(args[1]);
    Node node =
        Node.start(
            ConfigFactory.parseMap(
                Map.of(
                    "edgeweave.ingress.port",
                    publicPort,
                    "edgeweave.admin.port",
                    0,
                    "edgeweave.node.data-dir",
                    args[2],
                    "pekko.actor.serialize-messages",
                    "off",
                    "pekko.loglevel",
                    "WARNING")));
    for (int i = 3; i < args.length; i++) {
      node.deployDirectory(Path.of(args[i]));
    }
    byte[] hello = "Hello from WAGI/1\n".getBytes(StandardCharsets.UTF_8);
    HttpResponse response =
        HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, hello));
    Function<HttpRequest, CompletionStage<HttpResponse>> bareHello =
        request -> CompletableFuture.completedFuture(response);
    Http.get(node.system())
        .newServerAt("127.0.0.1", barePort)
        .bind(bareHello)
        .toCompletableFuture()
        .join();
    System.out.println("bench server ready");
    node.awaitTermination();
  }
}
