package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Spin's allowed_outbound_hosts rules: what each form of entry allows, and what it does not. */
class OutboundHostsTest {
  private static OutboundHosts hosts(String... entries) {
    return OutboundHosts.parse(List.of(entries));
  }

  @Test
  void aPlainEntryAllowsItsSchemeHostAndTheSchemesWellKnownPortOnly() {
    OutboundHosts h = hosts("https://example.com");
    assertTrue(h.allows("https", "example.com", 443));
    assertTrue(h.allows("HTTPS", "Example.COM", 443));
    assertTrue(h.allows("https", "example.com.", 443));
    assertFalse(h.allows("http", "example.com", 443));
    assertFalse(h.allows("https", "example.com", 8443));
    assertFalse(h.allows("https", "www.example.com", 443));
    assertFalse(h.allows("https", "example.com.evil.net", 443));
    assertTrue(hosts("http://localhost:3000").allows("http", "localhost", 3000));
    assertFalse(hosts("http://localhost:3000").allows("http", "localhost", 80));
  }

  @Test
  void aSubdomainWildcardAllowsEverySubdomainButNotTheDomainItself() {
    OutboundHosts h = hosts("https://*.example.com");
    assertTrue(h.allows("https", "api.example.com", 443));
    assertTrue(h.allows("https", "a.b.example.com", 443));
    assertFalse(h.allows("https", "example.com", 443));
    assertFalse(h.allows("https", "badexample.com", 443));
    assertFalse(h.allows("https", "127.0.0.1", 443));
  }

  @Test
  void wildcardSchemesAndPortsAndPortRangesAllowWhatTheySay() {
    OutboundHosts any = hosts("*://example.com:*");
    assertTrue(any.allows("http", "example.com", 1));
    assertTrue(any.allows("https", "example.com", 65535));
    assertFalse(any.allows("https", "other.com", 443));
    assertTrue(hosts("*://*:*").allows("http", "anything.at.all", 8081));
    OutboundHosts range = hosts("http://example.com:8000..8002");
    assertTrue(range.allows("http", "example.com", 8000));
    assertTrue(range.allows("http", "example.com", 8001));
    assertFalse(range.allows("http", "example.com", 8002));
    // As in Spin: a wildcard scheme has no well-known port to default to.
    assertTrue(OutboundHosts.problem("*://example.com").isPresent());
  }

  @Test
  void addressesMatchByValueAndCidrRangesMatchTheAddressesTheyHold() {
    assertTrue(hosts("http://127.0.0.1:8080").allows("http", "127.0.0.1", 8080));
    assertFalse(hosts("http://127.0.0.1:8080").allows("http", "localhost", 8080));
    assertTrue(hosts("http://[::1]:8080").allows("http", "[0:0:0:0:0:0:0:1]", 8080));
    OutboundHosts cidr = hosts("http://10.0.0.0/8:80");
    assertTrue(cidr.allows("http", "10.1.2.3", 80));
    assertFalse(cidr.allows("http", "11.0.0.1", 80));
    assertFalse(cidr.allows("http", "ten.example", 80));
  }

  @Test
  void noEntriesAllowNothing() {
    assertFalse(OutboundHosts.NONE.allows("https", "example.com", 443));
    assertTrue(hosts().isEmpty());
    assertEquals(List.of("https://a.example"), hosts("https://a.example").entries());
  }

  @Test
  void badEntriesAreRefusedNamingTheEntryAndTheProblem() {
    assertEquals(Optional.empty(), OutboundHosts.problem("redis://cache:6379"));
    assertTrue(OutboundHosts.problem("example.com").orElseThrow().startsWith("has no scheme"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> hosts("https://ok.example", "https://a.*.b", "tcp://x"));
    assertEquals(
        "\"https://a.*.b\" has a '*' inside its host; '*' stands for a whole host or, as '*.',"
            + " for any subdomain; \"tcp://x\" has no port, and scheme 'tcp' has no well-known"
            + " one; add ':<port>' or ':*'",
        e.getMessage());
  }
}
