package dev.edgeweave.wasmhost.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A component's files as a read-only tree in memory, built once per prepared function and shared by
 * all its invocations (nothing in it changes after construction; an invocation with transient
 * writes changes its own copy-on-write {@link WasiFiles} over it).
 */
public final class FileTree {
  /** A file or directory; directories list their children sorted by name. */
  public static final class Node {
    private final String name;
    private final byte[] nameBytes;
    private final long inode;
    private final byte[] content;
    private final Map<String, Node> children;
    private List<Node> childList = List.of();

    private Node(String name, long inode, byte[] content) {
      this.name = name;
      this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
      this.inode = inode;
      this.content = content;
      this.children = content == null ? new TreeMap<>() : Map.of();
    }

    public String name() {
      return name;
    }

    byte[] nameBytes() {
      return nameBytes;
    }

    public long inode() {
      return inode;
    }

    public boolean isDirectory() {
      return content == null;
    }

    /** File content; never modified. */
    byte[] content() {
      return content;
    }

    public long size() {
      return content == null ? 0 : content.length;
    }

    public Node child(String childName) {
      return children.get(childName);
    }

    public List<Node> children() {
      return childList;
    }
  }

  private final Node root;
  private final long maxInode;
  private final long createdNanos;

  private FileTree(Node root, long maxInode) {
    this.root = root;
    this.maxInode = maxInode;
    Instant now = Instant.now();
    this.createdNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** Builds the tree from absolute, normalized paths (as checked by {@code ComponentSpec}). */
  public static FileTree of(Map<String, byte[]> files) {
    long[] nextInode = {1};
    Node root = new Node("/", nextInode[0]++, null);
    for (Map.Entry<String, byte[]> e : new TreeMap<>(files).entrySet()) {
      String[] segments = e.getKey().substring(1).split("/");
      Node dir = root;
      for (int i = 0; i < segments.length - 1; i++) {
        Node next = dir.children.get(segments[i]);
        if (next == null) {
          next = new Node(segments[i], nextInode[0]++, null);
          dir.children.put(segments[i], next);
        } else if (!next.isDirectory()) {
          throw new IllegalArgumentException(
              "'" + segments[i] + "' is both a file and a directory in " + e.getKey());
        }
        dir = next;
      }
      String leaf = segments[segments.length - 1];
      if (dir.children.containsKey(leaf)) {
        throw new IllegalArgumentException("'" + e.getKey() + "' is both a file and a directory");
      }
      dir.children.put(leaf, new Node(leaf, nextInode[0]++, e.getValue()));
    }
    freeze(root);
    return new FileTree(root, nextInode[0] - 1);
  }

  private static void freeze(Node dir) {
    dir.childList = Collections.unmodifiableList(new ArrayList<>(dir.children.values()));
    for (Node child : dir.childList) {
      if (child.isDirectory()) {
        freeze(child);
      }
    }
  }

  public Node root() {
    return root;
  }

  /** The highest inode number in the tree; an overlay numbers new files after it. */
  long maxInode() {
    return maxInode;
  }

  /** When the tree was built (ns since the epoch): the files' times as the guest sees them. */
  long createdNanos() {
    return createdNanos;
  }
}
