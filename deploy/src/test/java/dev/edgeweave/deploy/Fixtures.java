package dev.edgeweave.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Test fixtures shared by the deploy tests: manifests, tiny modules and app directories. */
final class Fixtures {

  /** The smallest valid core Wasm module: magic and version, no sections. */
  static final byte[] EMPTY_MODULE = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

  private Fixtures() {}

  /** A module that differs from {@link #EMPTY_MODULE} by a custom section named {@code tag}. */
  static byte[] module(String tag) {
    byte[] name = tag.getBytes(StandardCharsets.UTF_8);
    byte[] m = new byte[EMPTY_MODULE.length + 3 + name.length];
    System.arraycopy(EMPTY_MODULE, 0, m, 0, EMPTY_MODULE.length);
    m[8] = 0; // custom section
    m[9] = (byte) (1 + name.length);
    m[10] = (byte) name.length;
    System.arraycopy(name, 0, m, 11, name.length);
    return m;
  }

  /** spin.toml for one WAGI component {@code web} serving {@code route}. */
  static String manifest(String appName, String route, String componentExtra) {
    return """
        spin_manifest_version = 2

        [application]
        name = "%s"

        [[trigger.http]]
        route = "%s"
        component = "web"
        executor = { type = "wagi" }

        [component.web]
        source = "web.wasm"
        %s
        """
        .formatted(appName, route, componentExtra);
  }

  /** Writes {@code files} (relative path to content) below {@code dir}. */
  static Path writeApp(Path dir, Map<String, ?> files) {
    try {
      for (Map.Entry<String, ?> f : files.entrySet()) {
        Path p = dir.resolve(f.getKey());
        Files.createDirectories(p.getParent());
        if (f.getValue() instanceof byte[] bytes) {
          Files.write(p, bytes);
        } else {
          Files.writeString(p, (String) f.getValue());
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A test resource folder (under src/test/resources) as a path. */
  static Path resourceDir(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The repository's examples folder, next to this module. */
  static Path examplesDir() {
    return Path.of(System.getProperty("user.dir")).resolve("../examples").normalize();
  }
}
