package dev.edgeweave.deploy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A component's {@code allowed_outbound_hosts}, with Spin's syntax and matching rules: each entry
 * is {@code <scheme>://<host>[:<port>]}, where the scheme may be {@code *}, the host {@code *}, a
 * {@code *.} prefix for any subdomain (not the domain itself), a name, an IP address or an IPv4
 * CIDR range, and the port {@code *}, a number or a range {@code a..b} (b excluded); without a port
 * the scheme's well-known one. Nothing is allowed unless an entry allows it.
 */
public final class OutboundHosts {
  /** Allows nothing. */
  public static final OutboundHosts NONE = new OutboundHosts(List.of());

  private static final Pattern SCHEME = Pattern.compile("[A-Za-z]+");
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?");
  private static final Pattern IPV4 =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private final List<Entry> entries;

  private OutboundHosts(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** One parsed entry; {@code scheme} null means any, the port range is [from, to). */
  private record Entry(String original, String scheme, Host host, int portFrom, int portTo) {
    boolean allows(String s, String h, byte[] ip, int port) {
      return (scheme == null || scheme.equals(s))
          && host.allows(h, ip)
          && port >= portFrom
          && port < portTo;
    }
  }

  private sealed interface Host {
    boolean allows(String name, byte[] ip);
  }

  private record AnyHost() implements Host {
    @Override
    public boolean allows(String name, byte[] ip) {
      return true;
    }
  }

  /** {@code *.example.com}: names ending in {@code .example.com}, never an IP address. */
  private record Subdomain(String suffix) implements Host {
    @Override
    public boolean allows(String name, byte[] ip) {
      return ip == null && name.endsWith(suffix);
    }
  }

  private record Name(String name) implements Host {
    @Override
    public boolean allows(String n, byte[] ip) {
      return ip == null && name.equals(n);
    }
  }

  private record Address(byte[] address, int prefixBits) implements Host {
    @Override
    public boolean allows(String name, byte[] ip) {
      if (ip == null || ip.length != address.length) {
        return false;
      }
      for (int bit = 0; bit < prefixBits; bit++) {
        int mask = 0x80 >>> (bit % 8);
        if ((ip[bit / 8] & mask) != (address[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Parses a component's entries.
   *
   * @throws IllegalArgumentException naming every bad entry and what is wrong with it
   */
  public static OutboundHosts parse(List<String> entries) {
    List<Entry> parsed = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (String entry : entries) {
      try {
        parsed.add(entry(entry));
      } catch (IllegalArgumentException e) {
        problems.add("\"" + entry + "\" " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    return new OutboundHosts(parsed);
  }

  /** Why {@code entry} is not a valid entry, if it is not. */
  public static Optional<String> problem(String entry) {
    try {
      entry(entry);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  private static Entry entry(String original) {
    String text = original.strip();
    if (text.equals("insecure:allow-all")) {
      throw new IllegalArgumentException(
          "is not supported; use \"*://*:*\" to allow every host (no sandboxing at all)");
    }
    if (text.contains("{{")) {
      throw new IllegalArgumentException("uses a variable template, which is not supported here");
    }
    int sep = text.indexOf("://");
    if (sep < 0) {
      throw new IllegalArgumentException(
          "has no scheme: write <scheme>://<host>[:<port>] (e.g. \"https://example.com\";"
              + " '*' is allowed for each part, \"*://*:*\" allows everything)");
    }
    String scheme = text.substring(0, sep);
    String rest = text.substring(sep + 3);
    String schemeValue;
    if (scheme.equals("*")) {
      schemeValue = null;
    } else if (SCHEME.matcher(scheme).matches()) {
      schemeValue = scheme.toLowerCase(Locale.ROOT);
    } else {
      throw new IllegalArgumentException(
          "has an invalid scheme '" + scheme + "' (letters only, or '*')");
    }
    // A trailing '/' is fine; any other path is not.
    int slash = rest.indexOf('/');
    String cidrBits = null;
    if (slash >= 0) {
      String after = rest.substring(slash + 1);
      if (after.matches("\\d{1,3}(:.*)?")) {
        // 10.0.0.0/8 or 10.0.0.0/8:443: a CIDR range, not a path.
        int colon = after.indexOf(':');
        cidrBits = colon < 0 ? after : after.substring(0, colon);
        rest = rest.substring(0, slash) + (colon < 0 ? "" : after.substring(colon));
      } else if (!after.isEmpty()) {
        throw new IllegalArgumentException(
            "has a path; only <scheme>://<host>[:<port>] is allowed");
      } else {
        rest = rest.substring(0, slash);
      }
    }
    String host;
    String port;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("has an unclosed '[' in its host");
      }
      host = rest.substring(0, close + 1);
      String after = rest.substring(close + 1);
      if (!after.isEmpty() && !after.startsWith(":")) {
        throw new IllegalArgumentException("has text after its IPv6 address");
      }
      port = after.isEmpty() ? "" : after.substring(1);
    } else {
      int colon = rest.lastIndexOf(':');
      host = colon < 0 ? rest : rest.substring(0, colon);
      port = colon < 0 ? "" : rest.substring(colon + 1);
    }
    Host hostValue = host(host, cidrBits);
    int[] ports = ports(port, schemeValue, scheme);
    return new Entry(original, schemeValue, hostValue, ports[0], ports[1]);
  }

  private static Host host(String host, String cidrBits) {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("has no host");
    }
    if (cidrBits != null) {
      if (!IPV4.matcher(host).matches()) {
        throw new IllegalArgumentException("has a '/' after a host that is not an IPv4 address");
      }
      int bits = Integer.parseInt(cidrBits);
      if (bits > 32) {
        throw new IllegalArgumentException("has a CIDR prefix over 32 bits");
      }
      return new Address(literalAddress(host), bits);
    }
    if (host.equals("*")) {
      return new AnyHost();
    }
    if (host.equals("self") || host.equals("self.alt")) {
      throw new IllegalArgumentException(
          "names 'self' (requests to the app's own routes), which is not supported");
    }
    if (host.startsWith("{")) {
      throw new IllegalArgumentException("has a host list, which is not supported");
    }
    if (host.startsWith("*.")) {
      String domain = host.substring(2);
      if (domain.contains("*")) {
        throw new IllegalArgumentException("has a '*' that is not the first label of its host");
      }
      checkName(domain);
      return new Subdomain("." + domain.toLowerCase(Locale.ROOT));
    }
    if (host.contains("*")) {
      throw new IllegalArgumentException(
          "has a '*' inside its host; '*' stands for a whole host or, as '*.', for any subdomain");
    }
    if (host.startsWith("[")) {
      String inner = host.substring(1, host.length() - 1);
      if (!IPV6.matcher(inner).matches()) {
        throw new IllegalArgumentException("has an invalid IPv6 address " + host);
      }
      byte[] address = literalAddress(inner);
      return new Address(address, address.length * 8);
    }
    if (IPV4.matcher(host).matches()) {
      return new Address(literalAddress(host), 32);
    }
    checkName(host);
    return new Name(host.toLowerCase(Locale.ROOT));
  }

  private static void checkName(String name) {
    if (name.length() > 253) {
      throw new IllegalArgumentException("has a host name longer than 253 characters");
    }
    for (String label : name.split("\\.", -1)) {
      if (label.length() > 63 || !LABEL.matcher(label).matches()) {
        throw new IllegalArgumentException(
            "has an invalid host name '"
                + name
                + "' (labels of letters, digits, '-' and '_', separated by dots)");
      }
    }
  }

  /** The bytes of an IP literal; never a DNS lookup (the callers match literals only). */
  private static byte[] literalAddress(String literal) {
    try {
      return InetAddress.getByName(literal).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("has an invalid IP address '" + literal + "'");
    }
  }

  private static int[] ports(String port, String scheme, String written) {
    if (port.isEmpty()) {
      int known = scheme == null ? -1 : wellKnownPort(scheme);
      if (known < 0) {
        throw new IllegalArgumentException(
            "has no port, and scheme '"
                + written
                + "' has no well-known one; add ':<port>' or ':*'");
      }
      return new int[] {known, known + 1};
    }
    if (port.equals("*")) {
      return new int[] {0, 65536};
    }
    if (port.startsWith("{")) {
      throw new IllegalArgumentException("has a port list, which is not supported");
    }
    int range = port.indexOf("..");
    if (range >= 0) {
      int from = port(port.substring(0, range), port);
      int to = port(port.substring(range + 2), port);
      if (from >= to) {
        throw new IllegalArgumentException(
            "has an empty port range " + port + " (the end is excluded)");
      }
      return new int[] {from, to};
    }
    int p = port(port, port);
    return new int[] {p, p + 1};
  }

  private static int port(String text, String whole) {
    if (!text.matches("\\d{1,5}") || Integer.parseInt(text) > 65535) {
      throw new IllegalArgumentException(
          "has an invalid port '" + whole + "' (a number up to 65535, a range a..b, or '*')");
    }
    return Integer.parseInt(text);
  }

  /** The port a URL of {@code scheme} uses when it names none; -1 if it has none. */
  public static int wellKnownPort(String scheme) {
    return switch (scheme.toLowerCase(Locale.ROOT)) {
      case "http" -> 80;
      case "https" -> 443;
      case "postgres" -> 5432;
      case "mysql" -> 3306;
      case "redis" -> 6379;
      case "mqtt" -> 1883;
      default -> -1;
    };
  }

  /**
   * Whether a request to {@code scheme://host:port} is allowed. {@code host} is as a URL writes it:
   * a name, an IPv4 address or an IPv6 address in brackets; names compare ignoring case, addresses
   * by value, and no name is resolved.
   */
  public boolean allows(String scheme, String host, int port) {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
    String s = scheme.toLowerCase(Locale.ROOT);
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    byte[] ip = null;
    if (h.startsWith("[") && h.endsWith("]")) {
      String inner = h.substring(1, h.length() - 1);
      if (!IPV6.matcher(inner).matches()) {
        return false;
      }
      try {
        ip = InetAddress.getByName(inner).getAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    } else if (IPV4.matcher(h).matches()) {
      try {
        ip = InetAddress.getByName(h).getAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    for (Entry entry : entries) {
      if (entry.allows(s, h, ip, port)) {
        return true;
      }
    }
    return false;
  }

  /** True if no entry allows anything. */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The entries as written in spin.toml. */
  public List<String> entries() {
    return entries.stream().map(Entry::original).toList();
  }

  @Override
  public String toString() {
    return entries().toString();
  }
}
