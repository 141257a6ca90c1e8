package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** How a WAGI guest's stdout becomes an HTTP response (Spin's CGI rules). */
class WagiCgiResponseTest {
  private static WasmEngine engine;
  private static GuestFunction cgi;

  @BeforeAll
  static void prepare() throws Exception {
    engine = WasmEngine.create(EngineConfig.defaults());
    cgi = engine.prepare(TestGuests.c("cgi"), ComponentSpec.builder("cgi-component").build());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  private static GuestResponse invoke(String variant) throws GuestException {
    return cgi.invoke(GuestRequest.builder().path("/cgi").query(variant).build());
  }

  private static GuestException failure(String variant) {
    return assertThrows(GuestException.class, () -> invoke(variant));
  }

  @Test
  void aContentTypeAloneGives200WithTheBody() throws Exception {
    GuestResponse r = invoke("default");

    assertEquals(200, r.status());
    assertEquals(Optional.of("text/plain"), r.header("Content-Type"));
    assertEquals("default", new String(r.body(), UTF_8));
  }

  @Test
  void aStatusLineSetsTheCodeAndIsNotPassedOnAsAHeader() throws Exception {
    GuestResponse r = invoke("status");

    assertEquals(418, r.status());
    assertEquals("teapot", new String(r.body(), UTF_8));
    assertEquals(Optional.empty(), r.header("Status"));
  }

  @Test
  void aStatusAloneIsASufficientResponse() throws Exception {
    GuestResponse r = invoke("status-only");

    assertEquals(204, r.status());
    assertEquals(0, r.body().length);
  }

  @Test
  void aLocationWithoutStatusRedirectsWith302() throws Exception {
    GuestResponse r = invoke("location");

    assertEquals(302, r.status());
    assertEquals(Optional.of("/elsewhere"), r.header("Location"));
  }

  @Test
  void aStatusAfterALocationWins() throws Exception {
    GuestResponse r = invoke("location-status");

    assertEquals(301, r.status());
    assertEquals(Optional.of("/moved"), r.header("Location"));
  }

  @Test
  void aStatusBeforeALocationWins() throws Exception {
    GuestResponse r = invoke("status-location");

    assertEquals(307, r.status());
    assertEquals(Optional.of("/temp"), r.header("Location"));
  }

  @Test
  void otherHeadersPassThrough() throws Exception {
    GuestResponse r = invoke("custom");

    assertEquals(200, r.status());
    assertEquals(Optional.of("text/html"), r.header("Content-Type"));
    assertEquals(Optional.of("weave"), r.header("X-Edge"));
    assertEquals(Optional.of("no-store"), r.header("Cache-Control"));
    assertEquals("<p>custom</p>", new String(r.body(), UTF_8));
  }

  @Test
  void crlfLineEndsAreAcceptedInHeadersAndKeptInTheBody() throws Exception {
    GuestResponse r = invoke("crlf");

    assertEquals(Optional.of("text/plain"), r.header("Content-Type"));
    assertEquals(Optional.of("yes"), r.header("X-Crlf"));
    assertEquals("line1\r\nline2\r\n", new String(r.body(), UTF_8));
  }

  @Test
  void outputWithoutAnyHeaderIsABadResponse() {
    GuestException e = failure("noheaders");

    assertEquals(GuestException.Kind.BAD_RESPONSE, e.kind());
    assertTrue(e.getMessage().contains("cgi-component"), e.getMessage());
  }

  @Test
  void headersWithoutContentTypeStatusOrLocationAreABadResponse() {
    GuestException e = failure("unknown-headers");

    assertEquals(GuestException.Kind.BAD_RESPONSE, e.kind());
    assertTrue(e.getMessage().contains("Content-Type, Status or Location"), e.getMessage());
  }

  @Test
  void headersNeverEndedByABlankLineAreABadResponse() {
    assertEquals(GuestException.Kind.BAD_RESPONSE, failure("unterminated").kind());
  }

  @Test
  void anUnparsableStatusIsABadResponse() {
    GuestException e = failure("bad-status");

    assertEquals(GuestException.Kind.BAD_RESPONSE, e.kind());
    assertTrue(e.getMessage().contains("abc"), e.getMessage());
  }

  @Test
  void emptyOutputIsABadResponseSayingSo() {
    GuestException e = failure("empty");

    assertEquals(GuestException.Kind.BAD_RESPONSE, e.kind());
    assertEquals("component 'cgi-component': guest wrote no output", e.getMessage());
  }

  @Test
  void exitingWithZeroAfterTheResponseIsANormalCompletion() throws Exception {
    GuestResponse r = invoke("exit-zero");

    assertEquals(200, r.status());
    assertEquals("bye", new String(r.body(), UTF_8));
  }

  @Test
  void exitingNonZeroFailsEvenAfterAResponseAsInSpin() {
    GuestException e = failure("exit-after");

    assertEquals(GuestException.Kind.EXIT, e.kind());
    assertTrue(e.getMessage().contains("code 3"), e.getMessage());
    assertFalse(e.getMessage().contains("stderr"), "nothing was written to stderr");
  }
}
