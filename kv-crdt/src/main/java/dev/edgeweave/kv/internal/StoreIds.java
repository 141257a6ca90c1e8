package dev.edgeweave.kv.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Names of buckets. A store's id is the SHA-256 of its app and label, each length-prefixed, so no
 * app name, label or key can spell another app's bucket, and every id has the same short length
 * (LMDB keys are at most 511 bytes).
 */
public final class StoreIds {

  /** Prefix of every bucket key; the durable store keeps every key under it. */
  public static final String PREFIX = "kv/";

  private StoreIds() {}

  public static String storeId(String app, String label) {
    byte[] a = app.getBytes(StandardCharsets.UTF_8);
    byte[] l = label.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + a.length + l.length);
    buf.putInt(a.length).put(a).putInt(l.length).put(l);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(buf.array());
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  public static BucketKey bucketKey(String storeId, int bucket) {
    return new BucketKey(PREFIX + storeId + "/" + bucket);
  }

  /** The bucket of a key: a well-mixed hash of the key, modulo the bucket count. */
  public static int bucketOf(String key, int buckets) {
    int h = key.hashCode();
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return Math.floorMod(h, buckets);
  }

  /** Whether a string survives UTF-8 unchanged (no unpaired surrogate). */
  public static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  public static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
