package dev.edgeweave.deploy;

/**
 * Ceilings for reading an app bundle, so that a hostile zip (a "zip bomb") or a huge directory
 * cannot exhaust the node. Counted on the bytes actually read, never on sizes a zip claims.
 *
 * @param maxEntries most zip entries (directories included), or most files an app may use
 * @param maxTotalBytes most bytes of all files together, uncompressed
 * @param maxFileBytes most bytes of one file (a module or a mounted file)
 */
public record BundleLimits(int maxEntries, long maxTotalBytes, long maxFileBytes) {

  public static final int DEFAULT_MAX_ENTRIES = 10_000;
  public static final long DEFAULT_MAX_TOTAL_BYTES = 256L * 1024 * 1024;
  public static final long DEFAULT_MAX_FILE_BYTES = 64L * 1024 * 1024;

  public BundleLimits {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1, was " + maxEntries);
    }
    if (maxTotalBytes < 1) {
      throw new IllegalArgumentException("maxTotalBytes must be at least 1, was " + maxTotalBytes);
    }
    if (maxFileBytes < 1 || maxFileBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "maxFileBytes must be between 1 and "
              + (Integer.MAX_VALUE - 8)
              + ", was "
              + maxFileBytes);
    }
  }

  public static BundleLimits defaults() {
    return new BundleLimits(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_TOTAL_BYTES, DEFAULT_MAX_FILE_BYTES);
  }

  public BundleLimits withMaxEntries(int value) {
    return new BundleLimits(value, maxTotalBytes, maxFileBytes);
  }

  public BundleLimits withMaxTotalBytes(long value) {
    return new BundleLimits(maxEntries, value, maxFileBytes);
  }

  public BundleLimits withMaxFileBytes(long value) {
    return new BundleLimits(maxEntries, maxTotalBytes, value);
  }
}
