package dev.edgeweave.cluster;

import java.nio.file.Path;

/**
 * One node of a {@link WeaveCluster}: its name ({@code eu-1}), location, ports, data directory and
 * log file stay the same across restarts; the process behind it changes.
 */
public final class WeaveNode {

  private final String name;
  private final String location;
  private final String host;
  private final int httpPort;
  private final int adminPort;
  private final int remotePort;
  private final Path dataDir;
  private final Path logFile;
  private final String clusterAddress; // null: pekko://edgeweave@host:remotePort
  private volatile Process process;
  private volatile boolean paused;

  WeaveNode(
      String name,
      String location,
      String host,
      int httpPort,
      int adminPort,
      int remotePort,
      Path dataDir,
      Path logFile) {
    this.name = name;
    this.location = location;
    this.host = host;
    this.httpPort = httpPort;
    this.adminPort = adminPort;
    this.remotePort = remotePort;
    this.dataDir = dataDir;
    this.logFile = logFile;
    this.clusterAddress = null;
  }

  private WeaveNode(
      String name, String location, String host, int httpPort, int adminPort, String address) {
    this.name = name;
    this.location = location;
    this.host = host;
    this.httpPort = httpPort;
    this.adminPort = adminPort;
    this.remotePort = 0;
    this.dataDir = null;
    this.logFile = null;
    this.clusterAddress = address;
  }

  /**
   * A node this harness did not start (a container of a compose cluster): reached at {@code host}
   * on its published ports, listed by its peers under its cluster address.
   */
  public static WeaveNode external(
      String name, String location, String host, int httpPort, int adminPort, String address) {
    return new WeaveNode(name, location, host, httpPort, adminPort, address);
  }

  public String name() {
    return name;
  }

  /** The location (Pekko data center) the node belongs to. */
  public String location() {
    return location;
  }

  /** The address the node binds and is reached at: loopback, or its network namespace's. */
  public String host() {
    return host;
  }

  public int httpPort() {
    return httpPort;
  }

  public int adminPort() {
    return adminPort;
  }

  /** Artery's port; with the host it makes the node's cluster address. */
  public int remotePort() {
    return remotePort;
  }

  /** The node's cluster address, as members are listed in its status. */
  public String address() {
    return clusterAddress != null ? clusterAddress : "pekko://edgeweave@" + host + ":" + remotePort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Everything the node's processes printed, one start after another. */
  public Path logFile() {
    return logFile;
  }

  /** The process id, or -1 when no process runs. */
  public long pid() {
    Process p = process;
    return p != null && p.isAlive() ? p.pid() : -1;
  }

  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  public boolean isPaused() {
    return paused && isRunning();
  }

  Process process() {
    return process;
  }

  void process(Process process) {
    this.process = process;
    this.paused = false;
  }

  void paused(boolean paused) {
    this.paused = paused;
  }

  @Override
  public String toString() {
    return name;
  }
}
