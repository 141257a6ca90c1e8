package dev.edgeweave.deploy.spread;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for peer blob transfer with the cluster transport's keys: a directory holding {@code ca.crt},
 * {@code tls.crt} and {@code tls.key} (PEM). Both sides present their certificate and accept only
 * one issued by the CA, as the cluster transport does; like it, no host name is verified. The files
 * are read again once {@code reloadAfter} has passed, so replaced certificates take effect without
 * a restart; a reload that fails keeps the keys read before.
 */
public final class PeerTls {

  public static final String CA_CERT = "ca.crt";
  public static final String NODE_CERT = "tls.crt";
  public static final String NODE_KEY = "tls.key";

  /** The TLS version peers speak, as the cluster transport does. */
  static final String PROTOCOL = "TLSv1.3";

  private static final Logger log = LoggerFactory.getLogger(PeerTls.class);
  private static final String ALIAS = "node";

  private final Path dir;
  private final long reloadAfterNanos;
  private volatile Loaded loaded;
  private final SSLContext context;

  private record Loaded(
      X509ExtendedKeyManager keys, X509ExtendedTrustManager trust, long readAtNanos) {}

  private PeerTls(Path dir, Duration reloadAfter) throws IOException {
    this.dir = Objects.requireNonNull(dir, "dir");
    if (reloadAfter.isNegative() || reloadAfter.isZero()) {
      throw new IllegalArgumentException("reloadAfter must be > 0");
    }
    this.reloadAfterNanos = reloadAfter.toNanos();
    this.loaded = load(dir);
    try {
      context = SSLContext.getInstance(PROTOCOL);
      context.init(
          new KeyManager[] {new CurrentKeys()}, new TrustManager[] {new CurrentTrust()}, null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS for peer blob transfer: " + e.getMessage(), e);
    }
  }

  /** Reads the keys in {@code dir}, failing now when a file is missing or does not parse. */
  public static PeerTls fromKeysDir(Path dir, Duration reloadAfter) throws IOException {
    return new PeerTls(dir, reloadAfter);
  }

  /** A context for both the blob server and the fetcher. */
  public SSLContext context() {
    return context;
  }

  private Loaded current() {
    Loaded l = loaded;
    if (System.nanoTime() - l.readAtNanos() < reloadAfterNanos) {
      return l;
    }
    synchronized (this) {
      if (loaded != l) {
        return loaded;
      }
      try {
        loaded = load(dir);
      } catch (IOException e) {
        log.warn("keeping the peer TLS keys read before: {}", e.getMessage());
        loaded = new Loaded(l.keys(), l.trust(), System.nanoTime());
      }
      return loaded;
    }
  }

  private static Loaded load(Path dir) throws IOException {
    try {
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      X509Certificate ca = certificate(x509, dir.resolve(CA_CERT));
      X509Certificate node = certificate(x509, dir.resolve(NODE_CERT));
      PrivateKey key =
          DERPrivateKeyLoader.load(
              PEMDecoder.decode(
                  Files.readString(dir.resolve(NODE_KEY), StandardCharsets.US_ASCII)));

      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      keyStore.load(null, null);
      char[] none = new char[0];
      keyStore.setKeyEntry(ALIAS, key, none, new X509Certificate[] {node, ca});
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keyStore, none);

      KeyStore trustStore = KeyStore.getInstance("PKCS12");
      trustStore.load(null, null);
      trustStore.setCertificateEntry("ca", ca);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trustStore);
      return new Loaded(
          only(X509ExtendedKeyManager.class, kmf.getKeyManagers()),
          only(X509ExtendedTrustManager.class, tmf.getTrustManagers()),
          System.nanoTime());
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IOException(
          "cannot read the cluster keys in " + dir + " for peer blob transfer: " + e.getMessage(),
          e);
    }
  }

  private static X509Certificate certificate(CertificateFactory x509, Path file)
      throws IOException, CertificateException {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) x509.generateCertificate(in);
    }
  }

  private static <T> T only(Class<T> type, Object[] managers) {
    for (Object m : managers) {
      if (type.isInstance(m)) {
        return type.cast(m);
      }
    }
    throw new IllegalStateException("the JDK offers no " + type.getSimpleName());
  }

  /** This node's key and certificate, as last read. */
  private final class CurrentKeys extends X509ExtendedKeyManager {
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return current().keys().getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return current().keys().chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return current().keys().chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return current().keys().getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return current().keys().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return current().keys().chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return current().keys().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return current().keys().getPrivateKey(alias);
    }
  }

  /**
   * Trusts a chain the CA issued. The socket and engine variants check only that, never the host
   * name the client asked for: peers reach each other by whatever address they announce.
   */
  private final class CurrentTrust extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      current().trust().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      current().trust().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      current().trust().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      current().trust().checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      current().trust().checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      current().trust().checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return current().trust().getAcceptedIssuers();
    }
  }
}
