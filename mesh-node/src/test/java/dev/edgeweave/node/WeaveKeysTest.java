package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeaveKeysTest {

  @TempDir Path root;

  private record Run(int status, String out, String err) {}

  private static Run weave(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Weave.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static X509Certificate certificate(Path file) throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static PrivateKey privateKey(Path file) throws Exception {
    String pem = Files.readString(file);
    assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n"), pem.substring(0, 40));
    String body =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
  }

  @Test
  void keysShouldMakeACaAndANodeCertificateItSignedWithTheNodesPrivateKey() throws Exception {
    Path dir = root.resolve("cluster-keys");
    Run run = weave("keys", dir.toString());
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains("WEAVE_CLUSTER_KEYS="), run.out());
    try (var files = Files.list(dir)) {
      assertEquals(
          List.of("ca.crt", "tls.crt", "tls.key"),
          files.map(p -> p.getFileName().toString()).sorted().toList(),
          "only the keys are left, no keystore and no password");
    }

    X509Certificate ca = certificate(dir.resolve("ca.crt"));
    X509Certificate node = certificate(dir.resolve("tls.crt"));
    ca.verify(ca.getPublicKey());
    assertTrue(ca.getBasicConstraints() >= 0, "the CA certificate is a CA's");
    node.verify(ca.getPublicKey());
    assertEquals(ca.getSubjectX500Principal(), node.getIssuerX500Principal());
    assertEquals(-1, node.getBasicConstraints(), "the node certificate is no CA's");
    assertTrue(
        node.getExtendedKeyUsage().containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")),
        "usable as TLS server and client: " + node.getExtendedKeyUsage());
    assertTrue(node.getSubjectX500Principal().getName().contains("CN=edgeweave-node"));
    assertTrue(
        node.getSubjectAlternativeNames().stream()
            .anyMatch(san -> san.get(1).equals("edgeweave-node")));

    // tls.key is the private key of tls.crt's public key.
    byte[] data = "proof".getBytes(StandardCharsets.UTF_8);
    Signature sign = Signature.getInstance("SHA256withRSA");
    sign.initSign(privateKey(dir.resolve("tls.key")));
    sign.update(data);
    byte[] signature = sign.sign();
    Signature verify = Signature.getInstance("SHA256withRSA");
    verify.initVerify(node.getPublicKey());
    verify.update(data);
    assertTrue(verify.verify(signature));

    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls.key"))));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
  }

  @Test
  void keysShouldRefuseToOverwriteAClustersKeysUnlessForced() throws Exception {
    Path dir = root.resolve("keys");
    assertEquals(0, weave("keys", dir.toString()).status());
    byte[] ca = Files.readAllBytes(dir.resolve("ca.crt"));
    byte[] key = Files.readAllBytes(dir.resolve("tls.key"));

    Run again = weave("keys", dir.toString());
    assertEquals(2, again.status());
    assertTrue(again.err().contains("not overwriting"), again.err());
    assertArrayEquals(ca, Files.readAllBytes(dir.resolve("ca.crt")));
    assertArrayEquals(key, Files.readAllBytes(dir.resolve("tls.key")));

    // One key file left behind is enough to refuse.
    Files.delete(dir.resolve("ca.crt"));
    Files.delete(dir.resolve("tls.crt"));
    assertEquals(2, weave("keys", dir.toString()).status());
    assertArrayEquals(key, Files.readAllBytes(dir.resolve("tls.key")));

    Run forced = weave("keys", dir.toString(), "--force");
    assertEquals(0, forced.status(), forced.err());
    X509Certificate newCa = certificate(dir.resolve("ca.crt"));
    assertFalse(
        java.util.Arrays.equals(key, Files.readAllBytes(dir.resolve("tls.key"))), "a new node key");
    X509Certificate oldCa =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(ca));
    certificate(dir.resolve("tls.crt")).verify(newCa.getPublicKey());
    assertThrows(
        SignatureException.class,
        () -> certificate(dir.resolve("tls.crt")).verify(oldCa.getPublicKey()),
        "keys of another run are not signed by the first run's CA");
  }

  @Test
  void helpShouldDescribeTheKeysCommand() {
    Run help = weave("help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("keys DIR"), help.out());
    assertTrue(help.out().contains("--force"), help.out());
  }
}
