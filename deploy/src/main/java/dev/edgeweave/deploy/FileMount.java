package dev.edgeweave.deploy;

import java.util.Objects;

/** One entry of a component's {@code files}: what part of the app directory the guest sees. */
public sealed interface FileMount permits FileMount.Pattern, FileMount.Placement {

  /**
   * {@code "static/**"}, {@code "*.txt"} or a plain path: matching files relative to spin.toml,
   * mounted at the same path under the guest root ({@code static/a.txt} becomes {@code
   * /static/a.txt}).
   */
  record Pattern(String glob) implements FileMount {
    public Pattern {
      Objects.requireNonNull(glob, "glob");
    }
  }

  /**
   * {@code { source = "dir", destination = "/dest" }}: every file under directory {@code source}
   * mounted below the absolute guest path {@code destination}.
   */
  record Placement(String source, String destination) implements FileMount {
    public Placement {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(destination, "destination");
    }
  }
}
