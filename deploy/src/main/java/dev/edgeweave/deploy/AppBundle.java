package dev.edgeweave.deploy;

import dev.edgeweave.deploy.internal.BundlePaths;
import dev.edgeweave.deploy.internal.FileSource;
import dev.edgeweave.deploy.internal.Zips;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * An app ready to deploy: its spin.toml and every file it uses, checked. Each component's {@code
 * source} is present and starts like a Wasm module, and each {@code files} entry stays inside the
 * app and resolves to the bytes the guest will see.
 *
 * <p>The module is not validated as Wasm here; that happens where the engine lives. Byte arrays are
 * shared, not copied: treat them as read-only.
 */
public final class AppBundle {

  /** The manifest's name at the root of an app directory or zip. */
  public static final String MANIFEST_FILE = "spin.toml";

  /** The first four bytes of every Wasm binary: "\0asm". */
  static final byte[] WASM_MAGIC = {0x00, 0x61, 0x73, 0x6d};

  /** The version field of a core module (a component-model component has another). */
  static final byte[] CORE_MODULE_VERSION = {0x01, 0x00, 0x00, 0x00};

  private final String manifestText;
  private final AppManifest manifest;
  private final RouteTable routes;
  private final Map<String, BundledComponent> components;
  private final Map<String, byte[]> files;

  private AppBundle(
      String manifestText,
      AppManifest manifest,
      Map<String, BundledComponent> components,
      Map<String, byte[]> files) {
    this.manifestText = manifestText;
    this.manifest = manifest;
    this.routes = RouteTable.of(manifest);
    this.components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
    this.files = Collections.unmodifiableMap(new TreeMap<>(files));
  }

  /**
   * The directory the {@code weave} tool keeps a node's state in (admin token, blobs) by default,
   * relative to where it runs: never part of an app, so {@code weave up .} in an app's directory
   * does not mount it.
   */
  public static final String WEAVE_DIR = ".weave";

  /** Reads the app in {@code dir} (which holds spin.toml) with the default limits. */
  public static AppBundle fromDirectory(Path dir) throws BundleException {
    return fromDirectory(dir, BundleLimits.defaults());
  }

  /**
   * Reads the app in {@code dir}. Only spin.toml and the files it refers to are read; symbolic
   * links are not followed; {@value #WEAVE_DIR} is not part of the app.
   */
  public static AppBundle fromDirectory(Path dir, BundleLimits limits) throws BundleException {
    return fromDirectory(dir, limits, List.of());
  }

  /**
   * Reads the app in {@code dir}, leaving out {@value #WEAVE_DIR} and the {@code excluded}
   * directories (a node's data directory): whatever the globs say, nothing in them, or resolving
   * into them through links, becomes part of the app.
   */
  public static AppBundle fromDirectory(Path dir, BundleLimits limits, Collection<Path> excluded)
      throws BundleException {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(excluded, "excluded");
    Path manifestPath = dir.resolve(MANIFEST_FILE);
    if (!Files.isRegularFile(manifestPath)) {
      throw new BundleException("no " + MANIFEST_FILE + " in " + dir);
    }
    try {
      List<Path> hidden = new ArrayList<>(excluded);
      hidden.add(dir.resolve(WEAVE_DIR));
      Path realDir = dir.toRealPath();
      for (Path h : hidden) {
        Path realHidden = FileSource.real(h);
        if (realDir.startsWith(realHidden)
            || FileSource.real(manifestPath).startsWith(realHidden)) {
          throw new BundleException(
              "the app in " + dir + " is inside the node's data directory " + h + "; move it out");
        }
      }
      if (Files.size(manifestPath) > limits.maxFileBytes()) {
        throw new BundleException(
            MANIFEST_FILE + " is larger than " + limits.maxFileBytes() + " bytes");
      }
      return build(Files.readAllBytes(manifestPath), FileSource.of(dir, hidden), limits);
    } catch (IOException e) {
      throw new BundleException(List.of("cannot read " + dir + ": " + e.getMessage()), e);
    }
  }

  /** Reads an app from a zip of its directory, with the default limits. */
  public static AppBundle fromZip(byte[] zip) throws BundleException {
    return fromZip(zip, BundleLimits.defaults());
  }

  /**
   * Reads an app from a zip of its directory. spin.toml is at the root of the zip, or inside the
   * one folder the zip holds (as when a whole folder was zipped).
   */
  public static AppBundle fromZip(byte[] zip, BundleLimits limits) throws BundleException {
    Objects.requireNonNull(zip, "zip");
    Objects.requireNonNull(limits, "limits");
    Map<String, byte[]> entries = stripSingleFolder(Zips.read(zip, limits));
    byte[] manifest = entries.remove(MANIFEST_FILE);
    if (manifest == null) {
      throw new BundleException("no " + MANIFEST_FILE + " at the root of the zip");
    }
    try {
      return build(manifest, FileSource.of(entries), limits);
    } catch (IOException e) {
      throw new BundleException(List.of("cannot read zip: " + e.getMessage()), e);
    }
  }

  /** Where each component of a release finds its module and files, without their content. */
  record Layout(String id, String source, Map<String, String> files) {}

  /**
   * The components of {@code manifestText} laid out over the bundle-relative {@code paths} of a
   * stored release: the same resolution as a deploy, reading nothing.
   */
  static Map<String, Layout> layout(String manifestText, Collection<String> paths)
      throws BundleException {
    AppManifest manifest;
    try {
      manifest = SpinManifest.parse(manifestText);
    } catch (ManifestException e) {
      throw new BundleException(e.errors(), e);
    }
    Resolver r = new Resolver(FileSource.listing(paths), null);
    Map<String, Layout> layouts = new LinkedHashMap<>();
    try {
      for (ComponentManifest c : manifest.components().values()) {
        r.component(c)
            .ifPresent(rc -> layouts.put(c.id(), new Layout(c.id(), rc.source(), rc.files())));
      }
    } catch (IOException e) {
      throw new BundleException(List.of("cannot lay out files: " + e.getMessage()), e);
    }
    if (!r.errors.isEmpty()) {
      throw new BundleException(r.errors, null);
    }
    return layouts;
  }

  /**
   * Zips the app in {@code dir}: spin.toml and the files it uses, in path order with fixed
   * timestamps, so the same app always gives the same bytes.
   */
  public static byte[] zipDirectory(Path dir) throws BundleException {
    return fromDirectory(dir).toZip();
  }

  /** This bundle as a reproducible zip (see {@link #zipDirectory(Path)}). */
  public byte[] toZip() {
    TreeMap<String, byte[]> all = new TreeMap<>(files);
    all.put(MANIFEST_FILE, manifestText.getBytes(StandardCharsets.UTF_8));
    return Zips.write(all);
  }

  public String name() {
    return manifest.name();
  }

  /** The spin.toml text as read. */
  public String manifestText() {
    return manifestText;
  }

  public AppManifest manifest() {
    return manifest;
  }

  public RouteTable routes() {
    return routes;
  }

  /** Component id to its module and files, in manifest order. */
  public Map<String, BundledComponent> components() {
    return components;
  }

  /** Every file the app uses except spin.toml (modules included), by bundle-relative path. */
  public Map<String, byte[]> files() {
    return files;
  }

  private static Map<String, byte[]> stripSingleFolder(Map<String, byte[]> entries) {
    if (entries.containsKey(MANIFEST_FILE) || entries.isEmpty()) {
      return new LinkedHashMap<>(entries);
    }
    String first = entries.keySet().iterator().next();
    int slash = first.indexOf('/');
    if (slash < 0) {
      return new LinkedHashMap<>(entries);
    }
    String prefix = first.substring(0, slash + 1);
    if (!entries.containsKey(prefix + MANIFEST_FILE)
        || !entries.keySet().stream().allMatch(k -> k.startsWith(prefix))) {
      return new LinkedHashMap<>(entries);
    }
    Map<String, byte[]> stripped = new LinkedHashMap<>();
    entries.forEach((k, v) -> stripped.put(k.substring(prefix.length()), v));
    return stripped;
  }

  private static AppBundle build(byte[] manifestBytes, FileSource source, BundleLimits limits)
      throws BundleException, IOException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(manifestBytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new BundleException(List.of(MANIFEST_FILE + " is not valid UTF-8"), e);
    }
    AppManifest manifest;
    try {
      manifest = SpinManifest.parse(text);
    } catch (ManifestException e) {
      throw new BundleException(e.errors(), e);
    }
    Resolver r = new Resolver(source, limits);
    Map<String, BundledComponent> components = new LinkedHashMap<>();
    for (ComponentManifest c : manifest.components().values()) {
      Optional<Resolver.Resolved> resolved = r.component(c);
      if (resolved.isPresent()) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        resolved.get().files().forEach((guest, path) -> files.put(guest, r.used.get(path)));
        components.put(
            c.id(),
            new BundledComponent(
                c.id(),
                resolved.get().source(),
                resolved.get().module(),
                files,
                resolved.get().files()));
      }
    }
    if (!r.errors.isEmpty()) {
      throw new BundleException(r.errors, null);
    }
    return new AppBundle(text, manifest, components, r.used);
  }

  /**
   * Finds each component's files, collecting every error; with limits, also reads them, counting
   * what is read (without, it only lays out paths: a stored release, read later by digest).
   */
  private static final class Resolver {
    /** A component's module (null when not read) and its files: guest path to bundle path. */
    record Resolved(String source, byte[] module, Map<String, String> files) {}

    private final FileSource source;
    private final BundleLimits limits;
    private final List<String> errors = new ArrayList<>();
    private final Map<String, byte[]> used = new LinkedHashMap<>();
    private long usedBytes;

    Resolver(FileSource source, BundleLimits limits) {
      this.source = source;
      this.limits = limits;
    }

    Optional<Resolved> component(ComponentManifest c) throws IOException, BundleException {
      String where = "component '" + c.id() + "': ";
      int before = errors.size();
      byte[] module = null;
      Optional<String> src = BundlePaths.normalize(c.source());
      if (src.isEmpty() || src.get().isEmpty()) {
        errors.add(where + "source '" + c.source() + "' points outside the app directory");
      } else if (source.size(src.get()).isEmpty()) {
        errors.add(where + "source '" + c.source() + "' is not in the app");
      } else if (limits != null) {
        module = read(src.get());
        wasmProblem(module).ifPresent(p -> errors.add(where + "source '" + c.source() + "' " + p));
      }

      List<Pattern> excludes = new ArrayList<>();
      for (String ex : c.excludeFiles()) {
        Optional<String> n = BundlePaths.normalize(ex);
        if (n.isEmpty()) {
          errors.add(where + "exclude_files '" + ex + "' points outside the app directory");
        } else {
          excludes.add(BundlePaths.glob(n.get()));
        }
      }
      Map<String, String> files = new LinkedHashMap<>();
      for (int i = 0; i < c.files().size(); i++) {
        FileMount m = c.files().get(i);
        String field = where + "files[" + i + "] ";
        if (m instanceof FileMount.Pattern p) {
          pattern(p.glob(), field, excludes, files);
        } else if (m instanceof FileMount.Placement pl) {
          placement(pl, field, excludes, files);
        }
      }
      BundlePaths.fileAboveFile(files.keySet())
          .ifPresent(
              clash ->
                  errors.add(
                      where
                          + "files: '"
                          + clash[0]
                          + "' is a file and also a directory of '"
                          + clash[1]
                          + "'"));
      if (errors.size() > before) {
        return Optional.empty();
      }
      return Optional.of(new Resolved(src.get(), module, files));
    }

    private void pattern(
        String glob, String field, List<Pattern> excludes, Map<String, String> files)
        throws IOException, BundleException {
      Optional<String> n = BundlePaths.normalize(glob);
      if (n.isEmpty() || n.get().isEmpty()) {
        errors.add(field + "'" + glob + "' points outside the app directory");
        return;
      }
      if (!BundlePaths.isGlob(n.get())) {
        if (source.size(n.get()).isEmpty()) {
          boolean isDir = source.list().stream().anyMatch(p -> p.startsWith(n.get() + "/"));
          errors.add(
              field
                  + "'"
                  + glob
                  + (isDir
                      ? "' is a directory; use '"
                          + n.get()
                          + "/**' or { source = \""
                          + n.get()
                          + "\", destination = \"/...\" }"
                      : "' is not in the app"));
          return;
        }
        if (!excluded(n.get(), excludes)) {
          mount(files, "/" + n.get(), n.get());
        }
        return;
      }
      Pattern re = BundlePaths.glob(n.get());
      for (String path : source.list()) {
        if (re.matcher(path).matches() && !excluded(path, excludes)) {
          mount(files, "/" + path, path);
        }
      }
    }

    private void placement(
        FileMount.Placement pl, String field, List<Pattern> excludes, Map<String, String> files)
        throws IOException, BundleException {
      Optional<String> dir = BundlePaths.normalize(pl.source());
      if (dir.isEmpty()) {
        errors.add(field + "source '" + pl.source() + "' points outside the app directory");
        return;
      }
      String destination = pl.destination().startsWith("/") ? pl.destination().substring(1) : "";
      Optional<String> dest =
          destination.isEmpty() ? Optional.of("") : BundlePaths.normalize(destination);
      if (!pl.destination().startsWith("/") || dest.isEmpty()) {
        errors.add(field + "destination '" + pl.destination() + "' is not an absolute guest path");
        return;
      }
      String prefix = dir.get().isEmpty() ? "" : dir.get() + "/";
      String target = dest.get().isEmpty() ? "/" : "/" + dest.get() + "/";
      boolean any = false;
      for (String path : source.list()) {
        if (path.startsWith(prefix)) {
          any = true;
          if (!excluded(path, excludes)) {
            mount(files, target + path.substring(prefix.length()), path);
          }
        }
      }
      if (!any) {
        errors.add(field + "source directory '" + pl.source() + "' is not in the app");
      }
    }

    /** Mounts bundle file {@code path} at {@code guest}, reading it when this resolver reads. */
    private void mount(Map<String, String> files, String guest, String path)
        throws IOException, BundleException {
      if (limits != null) {
        read(path);
      }
      files.put(guest, path);
    }

    private static boolean excluded(String path, List<Pattern> excludes) {
      return excludes.stream().anyMatch(p -> p.matcher(path).matches());
    }

    private byte[] read(String path) throws IOException, BundleException {
      byte[] known = used.get(path);
      if (known != null) {
        return known;
      }
      long size = source.size(path).orElseThrow();
      if (size > limits.maxFileBytes()) {
        throw new BundleException(
            "'"
                + path
                + "' is larger than "
                + limits.maxFileBytes()
                + " bytes (limit maxFileBytes)");
      }
      if (used.size() + 1 > limits.maxEntries()) {
        throw new BundleException(
            "the app uses more than " + limits.maxEntries() + " files (limit maxEntries)");
      }
      if (usedBytes + size > limits.maxTotalBytes()) {
        throw new BundleException(
            "the app's files add up to more than "
                + limits.maxTotalBytes()
                + " bytes (limit maxTotalBytes)");
      }
      byte[] bytes = source.read(path, limits.maxFileBytes());
      usedBytes += bytes.length;
      used.put(path, bytes);
      return bytes;
    }
  }

  static Optional<String> wasmProblem(byte[] module) {
    if (module.length < WASM_MAGIC.length || !startsWith(module, WASM_MAGIC, 0)) {
      return Optional.of("is not a WebAssembly module: it does not start with \\0asm");
    }
    if (module.length < WASM_MAGIC.length + CORE_MODULE_VERSION.length) {
      return Optional.of("is truncated: it ends inside the 8-byte WebAssembly header");
    }
    if (!startsWith(module, CORE_MODULE_VERSION, 4)) {
      return Optional.of(
          "is a WebAssembly component (component model), not a core module; the WAGI executor"
              + " runs wasm32-wasi core modules");
    }
    return Optional.empty();
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix, int at) {
    for (int i = 0; i < prefix.length; i++) {
      if (bytes[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
