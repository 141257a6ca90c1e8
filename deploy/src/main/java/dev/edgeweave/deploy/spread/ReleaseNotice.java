package dev.edgeweave.deploy.spread;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgeweave.deploy.internal.Digests;
import dev.edgeweave.deploy.internal.proto.ReleaseNoticeMessage;
import dev.edgeweave.deploy.internal.proto.ReleaseRecord;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the cluster knows of one app: its current release (the release record's bytes, named by
 * their sha256) and the release it replaced, or, once removed, a tombstone. Gossiped to every node;
 * blobs are not in it.
 *
 * @param previousDigest the release a rollback returns to ("" for none)
 * @param rolledBack this release was set by a rollback (which leaves no previous release)
 */
public record ReleaseNotice(
    String app,
    String releaseDigest,
    ByteString releaseRecord,
    boolean removed,
    long changedAt,
    String origin,
    String previousDigest,
    boolean rolledBack) {

  public ReleaseNotice {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(releaseDigest, "releaseDigest");
    Objects.requireNonNull(releaseRecord, "releaseRecord");
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(previousDigest, "previousDigest");
    if (!previousDigest.isEmpty() && !Digests.isSha256(previousDigest)) {
      throw new IllegalArgumentException(
          "the previous release of '" + app + "' is not a sha256 digest");
    }
    if (removed) {
      if (!releaseDigest.isEmpty()
          || !releaseRecord.isEmpty()
          || !previousDigest.isEmpty()
          || rolledBack) {
        throw new IllegalArgumentException("a removal of '" + app + "' names no release");
      }
    } else if (!Digests.sha256(releaseRecord.toByteArray()).equals(releaseDigest)) {
      throw new IllegalArgumentException(
          "release record of '" + app + "' does not hash to " + releaseDigest);
    }
  }

  /** The release with this record (its deterministic bytes) is the app's current one. */
  public static ReleaseNotice release(String app, byte[] record, long changedAt, String origin) {
    return release(app, record, changedAt, origin, "", false);
  }

  /**
   * The release with this record replaced {@code previousDigest} ("" for none); {@code rolledBack}
   * when a rollback set it.
   */
  public static ReleaseNotice release(
      String app,
      byte[] record,
      long changedAt,
      String origin,
      String previousDigest,
      boolean rolledBack) {
    return new ReleaseNotice(
        app,
        Digests.sha256(record),
        ByteString.copyFrom(record),
        false,
        changedAt,
        origin,
        previousDigest,
        rolledBack);
  }

  /** The app was removed. */
  public static ReleaseNotice removal(String app, long changedAt, String origin) {
    return new ReleaseNotice(app, "", ByteString.EMPTY, true, changedAt, origin, "", false);
  }

  /** The parsed release record. */
  public ReleaseRecord record() {
    try {
      return ReleaseRecord.parseFrom(releaseRecord);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("release " + releaseDigest + " holds no valid record", e);
    }
  }

  /** Every module and file digest the release needs (none for a removal). */
  public Set<String> blobDigests() {
    return removed ? Set.of() : new TreeSet<>(record().getFilesMap().values());
  }

  public byte[] toBytes() {
    return ReleaseNoticeMessage.newBuilder()
        .setAppName(app)
        .setReleaseDigest(releaseDigest)
        .setReleaseRecord(releaseRecord)
        .setRemoved(removed)
        .setChangedAtEpochMillis(changedAt)
        .setOrigin(origin)
        .setPreviousReleaseDigest(previousDigest)
        .setRolledBack(rolledBack)
        .build()
        .toByteArray();
  }

  /**
   * Reads a notice, checking that the record hashes to its digest.
   *
   * @throws IllegalArgumentException if the bytes are not a valid notice
   */
  public static ReleaseNotice fromBytes(byte[] bytes) {
    ReleaseNoticeMessage m;
    try {
      m = ReleaseNoticeMessage.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a release notice: " + e.getMessage(), e);
    }
    return new ReleaseNotice(
        m.getAppName(),
        m.getReleaseDigest(),
        m.getReleaseRecord(),
        m.getRemoved(),
        m.getChangedAtEpochMillis(),
        m.getOrigin(),
        m.getPreviousReleaseDigest(),
        m.getRolledBack());
  }
}
