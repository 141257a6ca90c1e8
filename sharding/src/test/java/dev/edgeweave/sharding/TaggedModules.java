package dev.edgeweave.sharding;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Distinct modules that run alike: a valid module with a custom section appended, which changes its
 * digest (so the engine compiles it anew) but not what it does.
 */
final class TaggedModules {

  private TaggedModules() {}

  /** {@code module} with a custom section named {@code tag} holding {@code padding} bytes. */
  static byte[] tagged(byte[] module, String tag, int padding) {
    byte[] name = tag.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    leb128(payload, name.length);
    payload.writeBytes(name);
    byte[] pad = new byte[padding];
    for (int i = 0; i < padding; i++) {
      pad[i] = (byte) (i * 31 + tag.hashCode());
    }
    payload.writeBytes(pad);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(module);
    out.write(0); // custom section
    leb128(out, payload.size());
    out.writeBytes(payload.toByteArray());
    return out.toByteArray();
  }

  private static void leb128(ByteArrayOutputStream out, int value) {
    int v = value;
    do {
      int b = v & 0x7f;
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
  }
}
