package dev.edgeweave.deploy.spread;

import java.io.NotSerializableException;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** Protobuf for {@link ReleaseNotice}, the value of the replicated map of releases. */
public final class ReleaseNoticeSerializer extends SerializerWithStringManifest {

  public static final int IDENTIFIER = 7320;

  private static final String NOTICE_V1 = "N1";

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof ReleaseNotice) {
      return NOTICE_V1;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof ReleaseNotice notice) {
      return notice.toBytes();
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!NOTICE_V1.equals(manifest)) {
      throw new NotSerializableException("unknown release notice manifest '" + manifest + "'");
    }
    try {
      return ReleaseNotice.fromBytes(bytes);
    } catch (IllegalArgumentException e) {
      throw new NotSerializableException(e.getMessage());
    }
  }
}
