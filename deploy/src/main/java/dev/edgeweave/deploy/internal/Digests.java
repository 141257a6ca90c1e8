package dev.edgeweave.deploy.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 as lower-case hex: the name of every blob. */
public final class Digests {

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private Digests() {}

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }

  public static boolean isSha256(String s) {
    return SHA256_HEX.matcher(s).matches();
  }
}
