package dev.edgeweave.node;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code weave keys DIR}: a development cluster's keys, made with the JDK's {@code keytool}: a new
 * CA, and one node certificate it signs that every node of the cluster uses. The CA's private key
 * is thrown away once it has signed, so nothing else can ever be signed by it; run the command
 * again for new keys (every node then needs them).
 */
final class WeaveKeys {

  /** Subject name every development node certificate carries (and peers check they share). */
  static final String NODE_NAME = "edgeweave-node";

  static final int CA_VALIDITY_DAYS = 3650;
  static final int NODE_VALIDITY_DAYS = 825;
  static final int RSA_BITS = 2048;

  /** The most one keytool run may take. */
  static final long KEYTOOL_TIMEOUT_SECONDS = 120;

  private WeaveKeys() {}

  /** Makes the keys in {@code dir}; refuses when any of its key files exists, unless forced. */
  static void make(Path dir, boolean force) throws IOException {
    List<Path> files =
        List.of(ClusterTls.CA_CERT, ClusterTls.NODE_CERT, ClusterTls.NODE_KEY).stream()
            .map(dir::resolve)
            .toList();
    List<String> existing =
        files.stream().filter(Files::exists).map(p -> p.getFileName().toString()).toList();
    if (!existing.isEmpty() && !force) {
      throw new IllegalArgumentException(
          dir
              + " already holds "
              + String.join(", ", existing)
              + ": not overwriting a cluster's keys (--force replaces them; every node then"
              + " needs the new ones)");
    }
    Files.createDirectories(dir);
    ownerOnly(dir, "rwx------");
    // Keystores live only in a private directory beside the keys while keytool runs, under a
    // random password that never leaves this process and keytool's environment.
    Path work = Files.createTempDirectory(dir, ".weave-keys-");
    try {
      ownerOnly(work, "rwx------");
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String password = HexFormat.of().formatHex(random);
      Path caStore = work.resolve("ca.p12");
      Path nodeStore = work.resolve("node.p12");
      keytool(
          password,
          "-genkeypair",
          "-alias",
          "ca",
          "-keyalg",
          "RSA",
          "-keysize",
          Integer.toString(RSA_BITS),
          "-sigalg",
          "SHA256withRSA",
          "-dname",
          "CN=Edgeweave development cluster CA " + HexFormat.of().formatHex(random, 0, 4),
          "-ext",
          "bc:c=ca:true,pathlen:0",
          "-ext",
          "ku:c=keyCertSign,cRLSign",
          "-validity",
          Integer.toString(CA_VALIDITY_DAYS),
          "-storetype",
          "PKCS12",
          "-keystore",
          caStore.toString());
      keytool(
          password,
          "-exportcert",
          "-rfc",
          "-alias",
          "ca",
          "-keystore",
          caStore.toString(),
          "-file",
          work.resolve(ClusterTls.CA_CERT).toString());
      keytool(
          password,
          "-genkeypair",
          "-alias",
          "node",
          "-keyalg",
          "RSA",
          "-keysize",
          Integer.toString(RSA_BITS),
          "-sigalg",
          "SHA256withRSA",
          "-dname",
          "CN=" + NODE_NAME,
          "-validity",
          Integer.toString(NODE_VALIDITY_DAYS),
          "-storetype",
          "PKCS12",
          "-keystore",
          nodeStore.toString());
      keytool(
          password,
          "-certreq",
          "-alias",
          "node",
          "-keystore",
          nodeStore.toString(),
          "-file",
          work.resolve("node.csr").toString());
      keytool(
          password,
          "-gencert",
          "-rfc",
          "-alias",
          "ca",
          "-keystore",
          caStore.toString(),
          "-infile",
          work.resolve("node.csr").toString(),
          "-outfile",
          work.resolve(ClusterTls.NODE_CERT).toString(),
          "-validity",
          Integer.toString(NODE_VALIDITY_DAYS),
          "-ext",
          "san=dns:" + NODE_NAME,
          "-ext",
          "ku:c=digitalSignature,keyEncipherment",
          "-ext",
          "eku=serverAuth,clientAuth");
      Path key = work.resolve(ClusterTls.NODE_KEY);
      Files.createFile(key);
      ownerOnly(key, "rw-------");
      Files.writeString(key, pem("PRIVATE KEY", privateKey(nodeStore, password).getEncoded()));
      // The node's files arrive last-written-last, so a directory with tls.key is complete.
      for (String file : List.of(ClusterTls.CA_CERT, ClusterTls.NODE_CERT, ClusterTls.NODE_KEY)) {
        Files.move(
            work.resolve(file),
            dir.resolve(file),
            StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      }
    } finally {
      deleteRecursively(work);
    }
  }

  private static PrivateKey privateKey(Path store, String password) throws IOException {
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, password.toCharArray());
      Key key = ks.getKey("node", password.toCharArray());
      if (!(key instanceof PrivateKey privateKey) || !"PKCS#8".equals(key.getFormat())) {
        throw new IOException("keytool made no PKCS#8 private key for the node");
      }
      return privateKey;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the node's key that keytool made: " + e.getMessage(), e);
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  /** Runs the JDK's keytool with the store password in its environment, never its arguments. */
  private static void keytool(String password, String... args) throws IOException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    if (!Files.isExecutable(keytool)) {
      throw new IOException(
          "weave keys needs the JDK's keytool, not found at "
              + keytool
              + " (run it with a full JDK)");
    }
    List<String> command = new ArrayList<>();
    command.add(keytool.toString());
    command.addAll(List.of(args));
    command.addAll(List.of("-storepass:env", "WEAVE_KEYTOOL_PASS", "-noprompt"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("WEAVE_KEYTOOL_PASS", password);
    Process p = pb.start();
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("keytool " + args[0] + " did not finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while keytool ran", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + output.strip());
    }
  }

  private static void ownerOnly(Path path, String permissions) throws IOException {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the directory's own protection is what there is.
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
