package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.FunctionEntity;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.sharding.proto.InvocationRequest;
import dev.edgeweave.wasmhost.TestGuests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandOffRedeliveryTest {

  @TempDir Path dir;

  @Test
  void anInvocationShardingDroppedDuringAHandOffShouldStillBeAnswered() throws Exception {
    Path app = TestApps.app("moved").wagi("/...", "hello", TestGuests.c("hello")).writeTo(dir);
    try (Node node =
        Node.start(
            ConfigFactory.parseMap(
                Map.of(
                    "edgeweave.node.data-dir", dir.resolve("data").toString(),
                    "edgeweave.ingress.port", 0,
                    "edgeweave.admin.port", 0)))) {
      DeployedApp deployed = node.deployDirectory(app);
      TestProbe<FunctionEntity.Reply> asker = TestProbe.create(node.system());
      InvocationRequest request =
          InvocationRequest.newBuilder()
              .setApp(deployed.name())
              .setAppDigest(deployed.digest())
              .setComponent("hello")
              .setTriggerIndex(0)
              .setMethod("GET")
              .setFullUrl("http://localhost/")
              .setPath("/")
              .setServerName("localhost")
              .setServerPort(80)
              .build();
      // What a shard region does with each message it drops at a hand-off.
      Dropped dropped =
          new Dropped(
              new ShardingEnvelope<>(
                  FunctionEntity.entityId("moved", 0),
                  new FunctionEntity.Invoke(request, asker.getRef())),
              "Avoiding reordering of buffered messages at shard handoff",
              ActorRef.noSender(),
              ActorRef.noSender());
      node.system().classicSystem().deadLetters().tell(dropped, ActorRef.noSender());

      FunctionEntity.Reply reply = asker.receiveMessage(Duration.ofSeconds(30));
      assertEquals(200, reply.response().getStatus());
      assertEquals(
          "Hello, Edgeweave\n", reply.response().getBody().toString(StandardCharsets.UTF_8));
    }
  }
}
