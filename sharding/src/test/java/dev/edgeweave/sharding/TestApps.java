package dev.edgeweave.sharding;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes app directories (spin.toml + modules) for tests, so every test deploys through the same
 * bundle path users do. Shared with the ingress and node tests through the test-jar.
 */
public final class TestApps {

  private final String name;
  private final Map<String, byte[]> modules = new LinkedHashMap<>();
  private final StringBuilder triggers = new StringBuilder();
  private final StringBuilder components = new StringBuilder();
  private final Map<String, byte[]> files = new LinkedHashMap<>();
  private final StringBuilder variables = new StringBuilder();

  private TestApps(String name) {
    this.name = name;
  }

  /** A new app with this name. */
  public static TestApps app(String name) {
    return new TestApps(name);
  }

  /** A WAGI component serving {@code route}, with extra component TOML lines. */
  public TestApps wagi(String route, String component, byte[] module, String... extraLines) {
    modules.put(component + ".wasm", module);
    triggers
        .append("[[trigger.http]]\n")
        .append("route = \"")
        .append(route)
        .append("\"\n")
        .append("component = \"")
        .append(component)
        .append("\"\n")
        .append("executor = { type = \"wagi\" }\n\n");
    if (components.indexOf("[component." + component + "]") < 0) {
      components.append("[component.").append(component).append("]\n");
      components.append("source = \"").append(component).append(".wasm\"\n");
      for (String line : extraLines) {
        components.append(line).append('\n');
      }
      components.append('\n');
    }
    return this;
  }

  /** Lines of the app's {@code [variables]}, e.g. {@code who = { default = "world" }}. */
  public TestApps variables(String... lines) {
    for (String line : lines) {
      variables.append(line).append('\n');
    }
    return this;
  }

  /** A file in the app directory (e.g. for a component's {@code files}). */
  public TestApps file(String relativePath, byte[] content) {
    files.put(relativePath, content);
    return this;
  }

  /** The spin.toml this app gets. */
  public String manifest() {
    return "spin_manifest_version = 2\n\n"
        + "[application]\n"
        + "name = \""
        + name
        + "\"\nversion = \"1.0.0\"\n\n"
        + (variables.length() == 0 ? "" : "[variables]\n" + variables + "\n")
        + triggers
        + components;
  }

  /** Writes the app under {@code parent/name} and returns that directory. */
  public Path writeTo(Path parent) {
    Path dir = parent.resolve(name);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("spin.toml"), manifest());
      for (Map.Entry<String, byte[]> m : modules.entrySet()) {
        Files.write(dir.resolve(m.getKey()), m.getValue());
      }
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        Path target = dir.resolve(f.getKey());
        Files.createDirectories(target.getParent());
        Files.write(target, f.getValue());
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
