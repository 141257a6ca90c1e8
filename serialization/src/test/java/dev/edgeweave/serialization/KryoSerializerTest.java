package dev.edgeweave.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class KryoSerializerTest {

  record Ping(String text, StringValue payload, List<String> tags, ActorRef<String> replyTo)
      implements KryoSerializable {}

  record Unregistered(String text) implements KryoSerializable {}

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString(
                  "edgeweave.serialization.kryo.registrations {\n"
                      + "  \"dev.edgeweave.serialization.KryoSerializerTest$Ping\" = 100\n"
                      + "  \"com.google.protobuf.StringValue\" = 101\n"
                      + "}\n"
                      + "pekko.actor.serialize-messages = on\n")
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final Serialization serialization =
      SerializationExtension.get(
          org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(testKit.system()));

  @Test
  void markedMessagesShouldUseTheKryoSerializer() {
    TestProbe<String> probe = testKit.createTestProbe();
    Ping ping = new Ping("hi", StringValue.of("proto"), List.of("a", "b"), probe.getRef());
    Serializer serializer = serialization.findSerializerFor(ping);
    assertEquals(KryoSerializer.IDENTIFIER, serializer.identifier());
  }

  @Test
  void aMessageWithRefsAndProtobufShouldRoundTrip() {
    TestProbe<String> probe = testKit.createTestProbe();
    Ping ping = new Ping("hi", StringValue.of("proto"), List.of("a", "b"), probe.getRef());
    byte[] bytes = serialization.serialize(ping).get();
    Ping back = (Ping) serialization.deserialize(bytes, KryoSerializer.IDENTIFIER, "").get();
    assertEquals(ping, back);
    back.replyTo().tell("through the resolved ref");
    probe.expectMessage("through the resolved ref");
  }

  @Test
  void anUnregisteredClassShouldFailWithItsName() {
    var failure = serialization.serialize(new Unregistered("x"));
    assertTrue(failure.isFailure());
    assertTrue(failure.failed().get().getMessage().contains("Unregistered"));
  }

  @Test
  void plainCollectionsShouldRoundTrip() {
    Map<String, Integer> map = Map.of("a", 1, "b", 2);
    var serializer =
        new KryoSerializer(
            (org.apache.pekko.actor.ExtendedActorSystem)
                org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(testKit.system()));
    assertEquals(map, serializer.fromBinary(serializer.toBinary(map)));
  }

  @Test
  void aMessageLargerThanTheMaximumShouldFail() {
    TestProbe<String> probe = testKit.createTestProbe();
    Ping huge = new Ping("x".repeat(300 * 1024), StringValue.of(""), List.of(), probe.getRef());
    assertThrows(
        IllegalArgumentException.class,
        () -> {
          var serializer = serialization.findSerializerFor(huge);
          serializer.toBinary(huge);
        });
  }
}
