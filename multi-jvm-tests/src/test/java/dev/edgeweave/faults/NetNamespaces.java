package dev.edgeweave.faults;

import dev.edgeweave.cluster.WeaveCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network of the suite's own: each node in a network namespace of its own, its veth pair plugged
 * into a bridge inside one more namespace (the "switch", so the host's firewall never sees the
 * bridged traffic), and one veth from the switch to the host namespace, where the test JVM talks to
 * the nodes. Addresses come from {@code 10.213.<n>.0/24}, chosen by the suite: node {@code i} is
 * {@code .i+1}, the host side {@code .254}; nothing beyond these namespaces is reachable. A
 * partition is a set of nftables drop rules inside the nodes' namespaces (table {@code inet
 * edgeweave_faults}); healing deletes that table. {@link #close} removes namespaces, links and
 * rules; leftovers of a run whose JVM died are removed by the next run. Names: {@code
 * ewf<pid>-<node>}, {@code ewf<pid>-sw} and the host link {@code ewf<pid>h}.
 */
final class NetNamespaces implements WeaveCluster.Placement, AutoCloseable {

  static final String TABLE = "edgeweave_faults";
  private static final Pattern OURS = Pattern.compile("^ewf(\\d+)-\\S+");

  private final String prefix;
  private final String subnet;
  private final Map<String, String> hosts = new LinkedHashMap<>();

  private NetNamespaces(String prefix, String subnet) {
    this.prefix = prefix;
    this.subnet = subnet;
  }

  /**
   * Whether this process may build namespaces: root, with {@code ip} and {@code nft} that work.
   * Returns the reason when not.
   */
  static String unavailableBecause() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "not root";
    }
    for (List<String> probe :
        List.of(List.of("ip", "netns", "list"), List.of("nft", "--version"))) {
      try {
        Result r = run(probe);
        if (r.exit() != 0) {
          return String.join(" ", probe) + " failed: " + r.output();
        }
      } catch (UncheckedIOException e) {
        return probe.get(0) + " is not installed";
      }
    }
    return null;
  }

  /** Builds the network for these nodes (names in order); removes a dead run's leftovers first. */
  static NetNamespaces create(List<String> nodeNames) {
    reapLeftovers();
    long pid = ProcessHandle.current().pid();
    String subnet = "10.213." + (pid % 250) + ".";
    NetNamespaces net = new NetNamespaces("ewf" + pid, subnet);
    try {
      net.build(nodeNames);
      return net;
    } catch (RuntimeException e) {
      net.close();
      throw e;
    }
  }

  private void build(List<String> nodeNames) {
    String sw = prefix + "-sw";
    must("ip", "netns", "add", sw);
    must("ip", "netns", "exec", sw, "ip", "link", "add", "br0", "type", "bridge");
    must("ip", "netns", "exec", sw, "ip", "link", "set", "br0", "up");
    String hostLink = prefix + "h";
    must("ip", "link", "add", hostLink, "type", "veth", "peer", "name", "host", "netns", sw);
    must("ip", "netns", "exec", sw, "ip", "link", "set", "host", "master", "br0", "up");
    must("ip", "addr", "add", subnet + "254/24", "dev", hostLink);
    must("ip", "link", "set", hostLink, "up");
    int i = 1;
    for (String node : nodeNames) {
      String ns = namespace(node);
      String port = "p" + i;
      String address = subnet + i;
      must("ip", "netns", "add", ns);
      must("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
      must(
          "ip", "netns", "exec", ns, "ip", "link", "add", "eth0", "type", "veth", "peer", "name",
          port, "netns", sw);
      must("ip", "netns", "exec", sw, "ip", "link", "set", port, "master", "br0", "up");
      must("ip", "netns", "exec", ns, "ip", "addr", "add", address + "/24", "dev", "eth0");
      must("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up");
      hosts.put(node, address);
      i++;
    }
  }

  String namespace(String node) {
    return prefix + "-" + node;
  }

  @Override
  public String host(String nodeName) {
    String host = hosts.get(nodeName);
    if (host == null) {
      throw new IllegalArgumentException("no namespace for " + nodeName);
    }
    return host;
  }

  @Override
  public List<String> commandPrefix(String nodeName) {
    return List.of("ip", "netns", "exec", namespace(nodeName));
  }

  /**
   * Drops every packet between the nodes of different sides, both ways, inside each node's
   * namespace. Replaces any partition in force.
   */
  void partition(List<? extends Collection<String>> sides) {
    heal();
    for (Collection<String> side : sides) {
      List<String> others = new ArrayList<>();
      for (Collection<String> other : sides) {
        if (other != side) {
          other.forEach(n -> others.add(host(n)));
        }
      }
      if (others.isEmpty()) {
        continue;
      }
      String set = String.join(", ", others);
      String rules =
          "table inet "
              + TABLE
              + " {\n"
              + "  chain in {\n    type filter hook input priority 0; policy accept;\n"
              + "    ip saddr { "
              + set
              + " } drop\n  }\n"
              + "  chain out {\n    type filter hook output priority 0; policy accept;\n"
              + "    ip daddr { "
              + set
              + " } drop\n  }\n}\n";
      for (String node : side) {
        Result r = run(List.of("ip", "netns", "exec", namespace(node), "nft", "-f", "-"), rules);
        if (r.exit() != 0) {
          throw new IllegalStateException("nft in " + namespace(node) + ": " + r.output());
        }
      }
    }
  }

  /** Deletes every partition rule. */
  void heal() {
    for (String node : hosts.keySet()) {
      // Deleting a table that is not there fails harmlessly.
      run(List.of("ip", "netns", "exec", namespace(node), "nft", "delete", "table", "inet", TABLE));
    }
  }

  @Override
  public void close() {
    removeRun(prefix);
  }

  /** Removes the namespaces and host links of runs whose JVM no longer runs. */
  static void reapLeftovers() {
    Result list = run(List.of("ip", "netns", "list"));
    for (String line : list.output().split("\n")) {
      Matcher m = OURS.matcher(line.trim());
      if (m.find()) {
        long pid = Long.parseLong(m.group(1));
        if (ProcessHandle.of(pid).isEmpty()) {
          removeRun("ewf" + pid);
        }
      }
    }
  }

  private static void removeRun(String prefix) {
    Result list = run(List.of("ip", "netns", "list"));
    for (String line : list.output().split("\n")) {
      String name = line.trim().split("\\s+")[0];
      if (name.startsWith(prefix + "-")) {
        run(List.of("ip", "netns", "del", name));
      }
    }
    // Deleting the switch namespace deletes the peer of the host link, and so the link; this is
    // for a run that died between creating the link and moving its peer.
    run(List.of("ip", "link", "del", prefix + "h"));
  }

  record Result(int exit, String output) {}

  private static void must(String... command) {
    Result r = run(List.of(command));
    if (r.exit() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + r.output());
    }
  }

  static Result run(List<String> command) {
    return run(command, null);
  }

  static Result run(List<String> command, String input) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      if (input != null) {
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", command));
      }
      return new Result(p.exitValue(), out.trim());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
