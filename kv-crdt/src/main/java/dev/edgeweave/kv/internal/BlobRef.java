package dev.edgeweave.kv.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A value by its SHA-256 and length: how a large value is named inside its bucket (its bytes travel
 * outside gossip, see {@code BlobEndpoint}), and how a compare-and-swap names the value it expects.
 */
public record BlobRef(byte[] digest, long length) implements Comparable<BlobRef> {

  public BlobRef {
    if (digest.length != 32 || length < 0) {
      throw new IllegalArgumentException("not a SHA-256 reference: " + digest.length + " bytes");
    }
  }

  public static BlobRef of(byte[] value) {
    return new BlobRef(sha256(value), value.length);
  }

  public static byte[] sha256(byte[] value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Whether {@code value} is the value this names. */
  public boolean matches(byte[] value) {
    return value.length == length && MessageDigest.isEqual(sha256(value), digest);
  }

  /** Lower-case hex of the digest: the blob's name on disk and in logs. */
  public String hex() {
    return HexFormat.of().formatHex(digest);
  }

  @Override
  public int compareTo(BlobRef o) {
    int c = Arrays.compareUnsigned(digest, o.digest);
    return c != 0 ? c : Long.compare(length, o.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlobRef r && length == r.length && Arrays.equals(digest, r.digest);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(digest) * 31 + Long.hashCode(length);
  }

  @Override
  public String toString() {
    return "Blob(" + hex().substring(0, 12) + ", " + length + " bytes)";
  }
}
