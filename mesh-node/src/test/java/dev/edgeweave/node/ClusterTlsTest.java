package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterTlsTest {

  @TempDir Path keys;

  private static Config config(Map<String, Object> settings) {
    return NodeConfig.apply(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load()));
  }

  private void writeKeyFiles() throws IOException {
    for (String file : new String[] {"ca.crt", "tls.crt", "tls.key"}) {
      Files.writeString(keys.resolve(file), "pem");
    }
  }

  @Test
  void withoutAKeysDirectoryTheTransportShouldStayPlainTcp() {
    Config config = config(Map.of());
    assertEquals("", config.getString(ClusterTls.KEYS_DIR));
    assertEquals("tcp", config.getString(ClusterTls.TRANSPORT));
  }

  @Test
  void aKeysDirectoryShouldRunArteryOverTlsWithItsFiles() throws IOException {
    writeKeyFiles();
    Config config = config(Map.of(ClusterTls.KEYS_DIR, keys.toString()));
    assertEquals("tls-tcp", config.getString(ClusterTls.TRANSPORT));
    assertEquals(
        "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        config.getString(ClusterTls.ENGINE_PROVIDER));
    Config engine = config.getConfig(ClusterTls.ENGINE);
    assertEquals(keys.resolve("ca.crt").toString(), engine.getString("ca-cert-file"));
    assertEquals(keys.resolve("tls.crt").toString(), engine.getString("cert-file"));
    assertEquals(keys.resolve("tls.key").toString(), engine.getString("key-file"));
    assertEquals("TLSv1.3", engine.getString("protocol"));
  }

  @Test
  void aKeysDirectoryLackingAFileShouldBeRefusedNamingIt() throws IOException {
    writeKeyFiles();
    Files.delete(keys.resolve("tls.key"));
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> config(Map.of(ClusterTls.KEYS_DIR, keys.toString())));
    assertTrue(e.getMessage().contains("lacks tls.key"), e.getMessage());
    assertTrue(e.getMessage().contains(keys.toString()), e.getMessage());
  }

  @Test
  void aPlainTransportReachableFromOtherHostsShouldBeWarnedAbout() throws IOException {
    Map<String, Object> remote = new HashMap<>();
    remote.put("pekko.remote.artery.canonical.hostname", "10.1.2.3");
    var warning = ClusterTls.plainTransportWarning(config(remote));
    assertTrue(warning.isPresent());
    assertTrue(warning.get().contains("10.1.2.3 without TLS"), warning.get());

    Map<String, Object> boundEverywhere = new HashMap<>();
    boundEverywhere.put("pekko.remote.artery.bind.hostname", "0.0.0.0");
    assertTrue(ClusterTls.plainTransportWarning(config(boundEverywhere)).isPresent());

    writeKeyFiles();
    remote.put(ClusterTls.KEYS_DIR, keys.toString());
    assertFalse(ClusterTls.plainTransportWarning(config(remote)).isPresent());
  }

  @Test
  void aPlainTransportOnLoopbackShouldNotBeWarnedAbout() {
    assertFalse(ClusterTls.plainTransportWarning(config(Map.of())).isPresent());
    assertFalse(
        ClusterTls.plainTransportWarning(
                config(Map.of("pekko.remote.artery.canonical.hostname", "localhost")))
            .isPresent());
  }
}
