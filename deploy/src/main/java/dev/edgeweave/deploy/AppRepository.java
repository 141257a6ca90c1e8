package dev.edgeweave.deploy;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgeweave.deploy.internal.Digests;
import dev.edgeweave.deploy.internal.proto.ReleaseRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deployed apps, kept in a content-addressed store on local disk so a restarted node serves them
 * again without a new upload.
 *
 * <pre>
 * dataDir/
 *   blobs/sha256/&lt;hex&gt;   modules, files and release records, named by their SHA-256
 *   apps/&lt;name&gt;          "&lt;release digest&gt; &lt;deployed at, epoch millis&gt;": the current release
 *   tmp/                  files being written; moved into place atomically
 * </pre>
 *
 * Every blob is checked against its name when read: an app whose blobs are missing or corrupted
 * fails to load (see {@link #loadFailures()}) while the others load. {@link #remove(String)} drops
 * the app but leaves its blobs: another app or release may share them, and nothing collects unused
 * blobs yet. Thread-safe.
 */
public final class AppRepository {

  /** Where blobs live, below the data directory. */
  public static final String BLOBS_DIR = "blobs/sha256";

  /** Where the per-app pointers to release records live, below the data directory. */
  public static final String APPS_DIR = "apps";

  /** Where files are written before being moved into place, below the data directory. */
  public static final String TMP_DIR = "tmp";

  private static final Logger log = LoggerFactory.getLogger(AppRepository.class);

  private final Path dataDir;
  private final Path blobs;
  private final Path appsDir;
  private final Path tmp;
  private final BundleLimits limits;
  private final Map<String, DeployedApp> apps = new ConcurrentHashMap<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  // Serialises the last step of deploy/remove so the pointer on disk and the map agree.
  private final Object commitLock = new Object();

  private AppRepository(Path dataDir, BundleLimits limits) {
    this.dataDir = dataDir;
    this.blobs = dataDir.resolve(BLOBS_DIR);
    this.appsDir = dataDir.resolve(APPS_DIR);
    this.tmp = dataDir.resolve(TMP_DIR);
    this.limits = limits;
  }

  /** Opens (creating if needed) the store in {@code dataDir} with the default limits. */
  public static AppRepository open(Path dataDir) throws IOException {
    return open(dataDir, BundleLimits.defaults());
  }

  /**
   * Opens (creating if needed) the store in {@code dataDir} and loads every app in it. An app that
   * cannot be loaded is logged and listed in {@link #loadFailures()}; it does not stop the others.
   */
  public static AppRepository open(Path dataDir, BundleLimits limits) throws IOException {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(limits, "limits");
    AppRepository repo = new AppRepository(dataDir, limits);
    Files.createDirectories(repo.blobs);
    Files.createDirectories(repo.appsDir);
    Files.createDirectories(repo.tmp);
    repo.clearTmp();
    repo.loadAll();
    return repo;
  }

  /**
   * Stores the bundle's files and a release record, then points the app's name at it; a redeploy of
   * the same name replaces the app.
   *
   * @throws BundleException if the bundle is over this repository's limits (it could not be read
   *     back)
   * @throws IOException if the disk write fails; the previous release, if any, stays in place
   */
  public DeployedApp deploy(AppBundle bundle) throws BundleException, IOException {
    Objects.requireNonNull(bundle, "bundle");
    checkLimits(bundle);
    Map<String, String> fileDigests = new TreeMap<>();
    for (Map.Entry<String, byte[]> f : bundle.files().entrySet()) {
      fileDigests.put(f.getKey(), putBlob(f.getValue()));
    }
    Map<String, String> moduleDigests = new TreeMap<>();
    bundle.components().forEach((id, c) -> moduleDigests.put(id, fileDigests.get(c.source())));
    Instant deployedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    ReleaseRecord record =
        ReleaseRecord.newBuilder()
            .setAppName(bundle.name())
            .setManifestToml(bundle.manifestText())
            .putAllComponentModules(moduleDigests)
            .putAllFiles(fileDigests)
            .build();
    String digest = putBlob(serialize(record));
    DeployedApp app = toDeployedApp(bundle, digest, deployedAt, moduleDigests);
    synchronized (commitLock) {
      writeAtomically(
          appsDir.resolve(bundle.name()),
          (digest + " " + deployedAt.toEpochMilli() + "\n").getBytes(StandardCharsets.US_ASCII));
      apps.put(app.name(), app);
      failures.remove(app.name());
    }
    log.info("deployed app '{}' as release {}", app.name(), digest);
    return app;
  }

  /** Every loaded app, by name. */
  public List<DeployedApp> list() {
    List<DeployedApp> all = new ArrayList<>(apps.values());
    all.sort(Comparator.comparing(DeployedApp::name));
    return all;
  }

  public Optional<DeployedApp> get(String name) {
    Objects.requireNonNull(name, "name");
    return Optional.ofNullable(apps.get(name));
  }

  /**
   * Forgets the app (it stops being served after a restart too). Its blobs stay on disk.
   *
   * @return false if there was no such app
   */
  public boolean remove(String name) throws IOException {
    Objects.requireNonNull(name, "name");
    synchronized (commitLock) {
      boolean known = apps.remove(name) != null;
      boolean failed = failures.remove(name) != null;
      boolean deleted = (known || failed) && Files.deleteIfExists(appsDir.resolve(name));
      if (known || failed) {
        log.info("removed app '{}'", name);
      }
      return known || deleted;
    }
  }

  /** Apps found on disk at {@link #open} that could not be loaded, with the reason. */
  public Map<String, String> loadFailures() {
    return Collections.unmodifiableMap(new TreeMap<>(failures));
  }

  public Path dataDir() {
    return dataDir;
  }

  private void checkLimits(AppBundle bundle) throws BundleException {
    long total = bundle.files().values().stream().mapToLong(b -> b.length).sum();
    if (bundle.files().size() > limits.maxEntries() || total > limits.maxTotalBytes()) {
      throw new BundleException(
          "app '"
              + bundle.name()
              + "' uses "
              + bundle.files().size()
              + " files of "
              + total
              + " bytes, over this repository's limits of "
              + limits.maxEntries()
              + " files and "
              + limits.maxTotalBytes()
              + " bytes");
    }
  }

  private void loadAll() throws IOException {
    List<Path> pointers = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(appsDir)) {
      dir.forEach(pointers::add);
    }
    pointers.sort(Comparator.naturalOrder());
    for (Path pointer : pointers) {
      String name = pointer.getFileName().toString();
      try {
        DeployedApp app = load(name, pointer);
        apps.put(name, app);
        log.info("loaded app '{}' (release {})", name, app.digest());
      } catch (IOException | BundleException e) {
        String reason = e.getMessage();
        failures.put(name, reason);
        log.error(
            "app '{}' in {} could not be loaded and is not served: {}", name, dataDir, reason);
      }
    }
  }

  private DeployedApp load(String name, Path pointer) throws IOException, BundleException {
    // "<release digest> <deployed at, epoch millis>"
    String[] fields = Files.readString(pointer, StandardCharsets.US_ASCII).trim().split(" ");
    String digest = fields[0];
    Instant deployedAt;
    try {
      deployedAt = Instant.ofEpochMilli(fields.length > 1 ? Long.parseLong(fields[1]) : 0L);
    } catch (NumberFormatException e) {
      throw new IOException("pointer " + pointer + " holds a malformed deploy time", e);
    }
    if (!Digests.isSha256(digest)) {
      throw new IOException("pointer " + pointer + " does not hold a sha256 digest");
    }
    ReleaseRecord record;
    try {
      record = ReleaseRecord.parseFrom(readBlob(digest));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("release record " + digest + " is not a valid record", e);
    }
    if (!record.getAppName().equals(name)) {
      throw new IOException(
          "release record " + digest + " belongs to app '" + record.getAppName() + "'");
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (Map.Entry<String, String> f : record.getFilesMap().entrySet()) {
      files.put(f.getKey(), readBlob(f.getValue()));
    }
    AppBundle bundle = AppBundle.fromFiles(record.getManifestToml(), files, limits);
    Map<String, String> moduleDigests = new TreeMap<>(record.getComponentModulesMap());
    for (BundledComponent c : bundle.components().values()) {
      String expected = moduleDigests.get(c.id());
      if (!Digests.sha256(c.module()).equals(expected)) {
        throw new IOException(
            "release record " + digest + " names another module for component '" + c.id() + "'");
      }
    }
    return toDeployedApp(bundle, digest, deployedAt, moduleDigests);
  }

  private static DeployedApp toDeployedApp(
      AppBundle bundle, String digest, Instant deployedAt, Map<String, String> moduleDigests) {
    Map<String, DeployedComponent> components = new LinkedHashMap<>();
    for (BundledComponent c : bundle.components().values()) {
      ComponentManifest m = bundle.manifest().components().get(c.id());
      components.put(
          c.id(),
          new DeployedComponent(
              c.id(), moduleDigests.get(c.id()), c.module(), c.files(), m.environment()));
    }
    return new DeployedApp(
        bundle.name(), digest, bundle.manifest(), bundle.routes(), components, deployedAt);
  }

  private static byte[] serialize(ReleaseRecord record) throws IOException {
    // Deterministic: map entries in key order, so equal records give equal digests.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(record.getSerializedSize());
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.useDeterministicSerialization();
    record.writeTo(out);
    out.flush();
    return bytes.toByteArray();
  }

  /** Stores {@code bytes} under their digest unless an intact copy is already there. */
  private String putBlob(byte[] bytes) throws IOException {
    String digest = Digests.sha256(bytes);
    Path path = blobs.resolve(digest);
    if (Files.isRegularFile(path)) {
      try {
        readBlob(digest);
        return digest;
      } catch (IOException corrupted) {
        log.warn("rewriting blob {}: {}", digest, corrupted.getMessage());
      }
    }
    writeAtomically(path, bytes);
    return digest;
  }

  private byte[] readBlob(String digest) throws IOException {
    if (!Digests.isSha256(digest)) {
      throw new IOException("'" + digest + "' is not a sha256 digest");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(blobs.resolve(digest));
    } catch (NoSuchFileException e) {
      throw new IOException("blob " + digest + " is missing", e);
    }
    String actual = Digests.sha256(bytes);
    if (!actual.equals(digest)) {
      throw new IOException("blob " + digest + " is corrupted: its content hashes to " + actual);
    }
    return bytes;
  }

  private void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path temp = Files.createTempFile(tmp, "write-", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
        ch.force(true);
      }
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(
            "cannot move files atomically within " + dataDir + ": use a local file system", e);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private void clearTmp() throws IOException {
    try (Stream<Path> leftovers = Files.list(tmp)) {
      for (Path p : leftovers.toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
