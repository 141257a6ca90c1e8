package dev.edgeweave.deploy;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgeweave.deploy.internal.Digests;
import dev.edgeweave.deploy.internal.proto.ReleaseRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deployed apps, kept in a content-addressed store on local disk so a restarted node serves them
 * again without a new upload. In memory it keeps only what routing needs (manifests, routes,
 * digests); modules and files are read from disk, by digest, when a function is prepared.
 *
 * <pre>
 * dataDir/
 *   blobs/sha256/&lt;hex&gt;   modules, files and release records, named by their SHA-256
 *   apps/&lt;name&gt;          "&lt;release digest&gt; &lt;deployed at, epoch millis&gt;": the current release
 *   previous/&lt;name&gt;      "&lt;release digest&gt;": the release the current one replaced, kept for a rollback
 *   tmp/                  files being written; moved into place atomically
 * </pre>
 *
 * Every blob is checked against its name: at {@link #open}, by hashing it as it streams past (an
 * app whose blobs are missing or corrupted fails to load, see {@link #loadFailures()}, while the
 * others load), and again whenever it is read. {@link #remove(String)} drops the app but leaves its
 * blobs: another app or a draining release may share them; {@link #collectGarbage} deletes those no
 * app, nor the release an app replaced (what a rollback returns to), refers to any more.
 * Thread-safe.
 */
public final class AppRepository {

  /** Where blobs live, below the data directory. */
  public static final String BLOBS_DIR = "blobs/sha256";

  /** Where the per-app pointers to release records live, below the data directory. */
  public static final String APPS_DIR = "apps";

  /** Where files are written before being moved into place, below the data directory. */
  public static final String TMP_DIR = "tmp";

  /** Where each app's previous release is named, below the data directory. */
  public static final String PREVIOUS_DIR = "previous";

  /**
   * Default bound on a release record's serialized size: records are gossiped to every node inside
   * Pekko's Artery frames (256 KiB), beside the other apps' records.
   */
  public static final int DEFAULT_MAX_RECORD_BYTES = 64 * 1024;

  private static final Logger log = LoggerFactory.getLogger(AppRepository.class);

  private final Path dataDir;
  private final Path blobs;
  private final Path appsDir;
  private final Path tmp;
  private final Path previousDir;
  private final BundleLimits limits;
  private final int maxRecordBytes;
  private final Map<String, DeployedApp> apps = new ConcurrentHashMap<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  // Serialises the last step of deploy/remove so the pointer on disk and the map agree.
  private final Object commitLock = new Object();
  // Deploys write blobs before their pointer refers to them: garbage collection waits for them.
  private final ReentrantReadWriteLock blobsInUse = new ReentrantReadWriteLock();

  private AppRepository(Path dataDir, BundleLimits limits, int maxRecordBytes) {
    this.dataDir = dataDir;
    this.blobs = dataDir.resolve(BLOBS_DIR);
    this.appsDir = dataDir.resolve(APPS_DIR);
    this.tmp = dataDir.resolve(TMP_DIR);
    this.previousDir = dataDir.resolve(PREVIOUS_DIR);
    this.limits = limits;
    this.maxRecordBytes = maxRecordBytes;
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
    return open(dataDir, limits, DEFAULT_MAX_RECORD_BYTES);
  }

  /**
   * As {@link #open(Path, BundleLimits)}, refusing to deploy an app whose release record would
   * exceed {@code maxRecordBytes} (records are gossiped to every node, so they must stay small).
   */
  public static AppRepository open(Path dataDir, BundleLimits limits, int maxRecordBytes)
      throws IOException {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(limits, "limits");
    if (maxRecordBytes < 1) {
      throw new IllegalArgumentException("maxRecordBytes must be at least 1");
    }
    AppRepository repo = new AppRepository(dataDir, limits, maxRecordBytes);
    Files.createDirectories(repo.blobs);
    Files.createDirectories(repo.appsDir);
    Files.createDirectories(repo.tmp);
    Files.createDirectories(repo.previousDir);
    repo.clearTmp();
    repo.loadAll();
    return repo;
  }

  /**
   * Stores the bundle's files and a release record, then points the app's name at it; a redeploy of
   * the same name replaces the app, and the release it replaced is kept as its previous one.
   *
   * @throws BundleException if the bundle is over this repository's limits (it could not be read
   *     back), or its release record over the record bound
   * @throws IOException if the disk write fails; the previous release, if any, stays in place
   */
  public DeployedApp deploy(AppBundle bundle) throws BundleException, IOException {
    Objects.requireNonNull(bundle, "bundle");
    checkLimits(bundle);
    Map<String, String> fileDigests = new TreeMap<>();
    for (Map.Entry<String, byte[]> f : bundle.files().entrySet()) {
      fileDigests.put(f.getKey(), Digests.sha256(f.getValue()));
    }
    Map<String, String> moduleDigests = new TreeMap<>();
    bundle.components().forEach((id, c) -> moduleDigests.put(id, fileDigests.get(c.source())));
    byte[] recordBytes =
        serialize(
            ReleaseRecord.newBuilder()
                .setAppName(bundle.name())
                .setManifestToml(bundle.manifestText())
                .putAllComponentModules(moduleDigests)
                .putAllFiles(fileDigests)
                .build());
    if (recordBytes.length > maxRecordBytes) {
      // Checked before anything is written: the record is what every node is told of the app.
      throw new BundleException(
          "app '"
              + bundle.name()
              + "': its release record (the manifest and a digest for each of its "
              + fileDigests.size()
              + " files) is "
              + recordBytes.length
              + " bytes, over the "
              + maxRecordBytes
              + " bytes every node can be sent (edgeweave.spread.max-record-bytes); use fewer"
              + " files, e.g. pack static files into one archive");
    }
    blobsInUse.readLock().lock();
    try {
      for (Map.Entry<String, byte[]> f : bundle.files().entrySet()) {
        putBlob(fileDigests.get(f.getKey()), f.getValue());
      }
      Instant deployedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      String digest = putBlob(Digests.sha256(recordBytes), recordBytes);
      Map<String, DeployedComponent> components = new LinkedHashMap<>();
      for (BundledComponent c : bundle.components().values()) {
        Map<String, String> files = new LinkedHashMap<>();
        c.filePaths().forEach((guest, path) -> files.put(guest, fileDigests.get(path)));
        components.put(
            c.id(),
            new DeployedComponent(
                c.id(),
                moduleDigests.get(c.id()),
                files,
                bundle.manifest().components().get(c.id()).environment()));
      }
      DeployedApp app =
          new DeployedApp(
              bundle.name(), digest, bundle.manifest(), bundle.routes(), components, deployedAt);
      synchronized (commitLock) {
        DeployedApp replaced = apps.get(app.name());
        if (replaced != null && !replaced.digest().equals(digest)) {
          writeAtomically(
              previousDir.resolve(app.name()),
              (replaced.digest() + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        writeAtomically(
            appsDir.resolve(bundle.name()),
            (digest + " " + deployedAt.toEpochMilli() + "\n").getBytes(StandardCharsets.US_ASCII));
        apps.put(app.name(), app);
        failures.remove(app.name());
      }
      log.info("deployed app '{}' as release {}", app.name(), digest);
      return app;
    } finally {
      blobsInUse.readLock().unlock();
    }
  }

  /**
   * The content of a blob, checked against its digest: a module or a file of a deployed (or
   * draining) release.
   *
   * @throws IOException if the blob is missing or its content does not hash to its name
   */
  public byte[] blob(String digest) throws IOException {
    return readBlob(digest);
  }

  /**
   * The release the app's current one replaced on this node (a rollback's target), if any: its
   * record and blobs are kept while it is the previous release, when this node held them.
   */
  public Optional<String> previous(String name) {
    Objects.requireNonNull(name, "name");
    if (!apps.containsKey(name)) {
      return Optional.empty();
    }
    try {
      String digest = Files.readString(previousDir.resolve(name), StandardCharsets.US_ASCII).trim();
      return Digests.isSha256(digest) ? Optional.of(digest) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | java.nio.file.InvalidPathException e) {
      log.warn("cannot read the previous release of '{}': {}", name, e.toString());
      return Optional.empty();
    }
  }

  /**
   * Deletes every blob that no app on disk refers to (its release record, modules and files) nor
   * the previous release of an app, except those of the releases {@code alsoKeep} gives (releases
   * still draining), asked while no deploy is writing blobs.
   *
   * @return how many blobs were deleted
   */
  public int collectGarbage(Supplier<Collection<DeployedApp>> alsoKeep) throws IOException {
    blobsInUse.writeLock().lock();
    try {
      Set<String> keep = new HashSet<>();
      for (DeployedApp app : alsoKeep.get()) {
        keep.addAll(app.blobs());
      }
      List<Path> pointers = new ArrayList<>();
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(appsDir)) {
        dir.forEach(pointers::add);
      }
      for (Path pointer : pointers) {
        String name = pointer.getFileName().toString();
        DeployedApp loaded = apps.get(name);
        if (loaded != null) {
          keep.addAll(loaded.blobs());
          continue;
        }
        // An app that failed to load: keep whatever its record still names.
        try {
          String digest = Files.readString(pointer, StandardCharsets.US_ASCII).trim().split(" ")[0];
          keep.add(digest);
          keep.addAll(ReleaseRecord.parseFrom(readBlob(digest)).getFilesMap().values());
        } catch (IOException e) {
          log.debug("app '{}' keeps no blobs: {}", name, e.getMessage());
        }
      }
      List<Path> previousPointers = new ArrayList<>();
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(previousDir)) {
        dir.forEach(previousPointers::add);
      }
      for (Path pointer : previousPointers) {
        // What a rollback returns to, if this node holds it.
        try {
          String digest = Files.readString(pointer, StandardCharsets.US_ASCII).trim();
          ReleaseRecord record = ReleaseRecord.parseFrom(readBlob(digest));
          keep.add(digest);
          keep.addAll(record.getFilesMap().values());
        } catch (IOException e) {
          log.debug("previous release of '{}' keeps no blobs: {}", pointer, e.getMessage());
        }
      }
      int deleted = 0;
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(blobs)) {
        for (Path blob : dir) {
          if (!keep.contains(blob.getFileName().toString()) && Files.deleteIfExists(blob)) {
            deleted++;
          }
        }
      }
      if (deleted > 0) {
        log.info("deleted {} blobs no app refers to", deleted);
      }
      return deleted;
    } finally {
      blobsInUse.writeLock().unlock();
    }
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
    // Its blobs stay until collectGarbage: a draining release or another app may need them.
    Objects.requireNonNull(name, "name");
    synchronized (commitLock) {
      boolean known = apps.remove(name) != null;
      boolean failed = failures.remove(name) != null;
      boolean deleted = (known || failed) && Files.deleteIfExists(appsDir.resolve(name));
      if (known || failed) {
        Files.deleteIfExists(previousDir.resolve(name));
      }
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
    Set<String> verified = new HashSet<>();
    for (Path pointer : pointers) {
      String name = pointer.getFileName().toString();
      try {
        DeployedApp app = load(name, pointer, verified);
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

  /** Reads an app's release record and lays it out, checking its blobs without keeping them. */
  private DeployedApp load(String name, Path pointer, Set<String> verified)
      throws IOException, BundleException {
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
    for (String blob : new TreeSet<>(record.getFilesMap().values())) {
      if (!verified.contains(blob)) {
        verifyBlob(blob);
        verified.add(blob);
      }
    }
    Map<String, String> fileDigests = record.getFilesMap();
    Map<String, AppBundle.Layout> layout =
        AppBundle.layout(record.getManifestToml(), fileDigests.keySet());
    AppManifest manifest;
    try {
      manifest = SpinManifest.parse(record.getManifestToml());
    } catch (ManifestException e) {
      throw new BundleException(e.errors(), e);
    }
    Map<String, DeployedComponent> components = new LinkedHashMap<>();
    for (AppBundle.Layout c : layout.values()) {
      String module = fileDigests.get(c.source());
      if (module == null || !module.equals(record.getComponentModulesMap().get(c.id()))) {
        throw new IOException(
            "release record " + digest + " names another module for component '" + c.id() + "'");
      }
      Map<String, String> files = new LinkedHashMap<>();
      c.files().forEach((guest, path) -> files.put(guest, fileDigests.get(path)));
      components.put(
          c.id(),
          new DeployedComponent(
              c.id(), module, files, manifest.components().get(c.id()).environment()));
    }
    return new DeployedApp(name, digest, manifest, RouteTable.of(manifest), components, deployedAt);
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
  private String putBlob(String digest, byte[] bytes) throws IOException {
    Path path = blobs.resolve(digest);
    if (Files.isRegularFile(path)) {
      try {
        verifyBlob(digest);
        return digest;
      } catch (IOException corrupted) {
        log.warn("rewriting blob {}: {}", digest, corrupted.getMessage());
      }
    }
    writeAtomically(path, bytes);
    return digest;
  }

  private byte[] readBlob(String digest) throws IOException {
    Path path = blobPath(digest);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new IOException("blob " + digest + " is missing", e);
    }
    checkDigest(digest, Digests.sha256(bytes));
    return bytes;
  }

  /** Checks a blob against its name as it streams past, holding none of it. */
  private void verifyBlob(String digest) throws IOException {
    Path path = blobPath(digest);
    String actual;
    try (InputStream in = Files.newInputStream(path)) {
      actual = Digests.sha256(in);
    } catch (NoSuchFileException e) {
      throw new IOException("blob " + digest + " is missing", e);
    }
    checkDigest(digest, actual);
  }

  private Path blobPath(String digest) throws IOException {
    if (!Digests.isSha256(digest)) {
      throw new IOException("'" + digest + "' is not a sha256 digest");
    }
    return blobs.resolve(digest);
  }

  private static void checkDigest(String digest, String actual) throws IOException {
    if (!actual.equals(digest)) {
      throw new IOException("blob " + digest + " is corrupted: its content hashes to " + actual);
    }
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
