package dev.edgeweave.deploy.spread;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.edgeweave.deploy.internal.Digests;
import dev.edgeweave.deploy.internal.proto.ReleaseNoticeMessage;
import dev.edgeweave.deploy.internal.proto.ReleaseRecord;
import java.io.NotSerializableException;
import java.util.Set;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReleaseNoticeSerializerTest {

  private static ActorSystem system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("notice-test");
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  static byte[] record(String app, String module, String file) {
    return ReleaseRecord.newBuilder()
        .setAppName(app)
        .setManifestToml("spin_manifest_version = 2\n")
        .putComponentModules("web", module)
        .putFiles("web.wasm", module)
        .putFiles("static/a.txt", file)
        .build()
        .toByteArray();
  }

  private static ReleaseNotice roundTrip(ReleaseNotice notice) throws NotSerializableException {
    Serialization serialization = SerializationExtension.get(system);
    Serializer serializer = serialization.findSerializerFor(notice);
    assertInstanceOf(ReleaseNoticeSerializer.class, serializer);
    byte[] bytes = serialization.serialize(notice).get();
    String manifest = ((ReleaseNoticeSerializer) serializer).manifest(notice);
    return (ReleaseNotice)
        serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }

  @Test
  void aReleaseCrossesPekkoSerializationUnchanged() throws Exception {
    String module = Digests.sha256(new byte[] {1});
    String file = Digests.sha256(new byte[] {2});
    ReleaseNotice notice =
        ReleaseNotice.release("hello", record("hello", module, file), 1234L, "pekko://a@h:1");
    ReleaseNotice back = roundTrip(notice);
    assertEquals(notice, back);
    assertEquals(Set.of(module, file), back.blobDigests());
    assertEquals("hello", back.record().getAppName());
  }

  @Test
  void aRemovalCrossesPekkoSerializationAsATombstone() throws Exception {
    ReleaseNotice back = roundTrip(ReleaseNotice.removal("hello", 99L, "pekko://a@h:1"));
    assertTrue(back.removed());
    assertEquals(99L, back.changedAt());
    assertEquals(Set.of(), back.blobDigests());
  }

  @Test
  void aRecordThatDoesNotHashToItsDigestIsRefused() throws Exception {
    byte[] record = record("hello", Digests.sha256(new byte[] {1}), Digests.sha256(new byte[] {2}));
    byte[] forged =
        ReleaseNoticeMessage.newBuilder()
            .setAppName("hello")
            .setReleaseDigest(Digests.sha256(new byte[] {3}))
            .setReleaseRecord(ByteString.copyFrom(record))
            .build()
            .toByteArray();
    ReleaseNoticeSerializer serializer = new ReleaseNoticeSerializer();
    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(forged, "N1"));
    byte[] good = ReleaseNotice.release("hello", record, 1L, "o").toBytes();
    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(good, "N0"));
    assertArrayEquals(good, serializer.toBinary(serializer.fromBinary(good, "N1")));
  }

  @Test
  void aRollbackCarriesThePreviousReleaseAndItsMarkAcrossSerialization() throws Exception {
    byte[] v1 = record("hello", Digests.sha256(new byte[] {1}), Digests.sha256(new byte[] {2}));
    byte[] v2 = record("hello", Digests.sha256(new byte[] {3}), Digests.sha256(new byte[] {2}));
    ReleaseNotice deployed =
        ReleaseNotice.release("hello", v2, 5L, "pekko://a@h:1", Digests.sha256(v1), false);
    ReleaseNotice rolledBack = ReleaseNotice.release("hello", v1, 6L, "pekko://a@h:2", "", true);

    assertEquals(deployed, roundTrip(deployed));
    assertEquals(Digests.sha256(v1), roundTrip(deployed).previousDigest());
    assertTrue(roundTrip(rolledBack).rolledBack());
    assertEquals("", roundTrip(rolledBack).previousDigest());
    assertThrows(
        IllegalArgumentException.class,
        () -> ReleaseNotice.release("hello", v2, 5L, "o", "not-a-digest", false));
  }
}
