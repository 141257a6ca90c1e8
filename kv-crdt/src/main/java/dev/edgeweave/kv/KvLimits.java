package dev.edgeweave.kv;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Objects;

/**
 * What one app may do with its stores on one node ({@code edgeweave.kv.limits}, overridable per app
 * under {@code edgeweave.apps."<name>".kv.limits}).
 */
public record KvLimits(
    int maxKeyBytes,
    int maxValueBytes,
    int maxBucketBytes,
    long maxAppBytes,
    double writesPerSecond,
    int writeBurst,
    int maxOperationIdBytes,
    Duration operationIdRetention,
    int maxOperationIdsPerCounter) {

  public KvLimits {
    Objects.requireNonNull(operationIdRetention, "operationIdRetention");
    check(maxKeyBytes >= 1, "max-key-bytes >= 1", maxKeyBytes);
    check(maxValueBytes >= 0, "max-value-bytes >= 0", maxValueBytes);
    // A large value lives outside its bucket; the settings check that an inline one fits.
    check(
        maxBucketBytes >= maxKeyBytes + 1024,
        "max-bucket-bytes >= max-key-bytes + 1 KiB (one entry must fit)",
        maxBucketBytes);
    check(maxAppBytes >= maxBucketBytes, "max-app-bytes >= max-bucket-bytes", maxAppBytes);
    check(writesPerSecond > 0, "writes-per-second > 0", writesPerSecond);
    check(writeBurst >= 1, "write-burst >= 1", writeBurst);
    check(maxOperationIdBytes >= 1, "max-operation-id-bytes >= 1", maxOperationIdBytes);
    check(
        !operationIdRetention.isNegative() && !operationIdRetention.isZero(),
        "operation-id-retention > 0",
        operationIdRetention);
    check(
        maxOperationIdsPerCounter >= 1,
        "max-operation-ids-per-counter >= 1",
        maxOperationIdsPerCounter);
  }

  /** Reads one {@code limits} block. */
  public static KvLimits fromConfig(Config c) {
    return new KvLimits(
        bytes(c, "max-key-bytes"),
        bytes(c, "max-value-bytes"),
        bytes(c, "max-bucket-bytes"),
        c.getBytes("max-app-bytes"),
        c.getDouble("writes-per-second"),
        c.getInt("write-burst"),
        bytes(c, "max-operation-id-bytes"),
        c.getDuration("operation-id-retention"),
        c.getInt("max-operation-ids-per-counter"));
  }

  private static int bytes(Config c, String path) {
    long v = c.getBytes(path);
    if (v > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "limit out of range: expected " + path + " < 2 GiB, got " + v);
    }
    return (int) v;
  }

  private static void check(boolean ok, String expected, Object actual) {
    if (!ok) {
      throw new IllegalArgumentException(
          "limit out of range: expected " + expected + ", got " + actual);
    }
  }
}
