package dev.edgeweave.wasmhost.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgeweave.wasmhost.GuestResponse;
import dev.edgeweave.wasmhost.Header;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CgiResponseTest {
  private static GuestResponse parse(String stdout) throws CgiResponse.InvalidResponse {
    byte[] bytes = stdout.getBytes(UTF_8);
    return CgiResponse.parse(bytes, bytes.length);
  }

  @Test
  void headersAreTrimmedAndKeptInOrder() throws Exception {
    GuestResponse r = parse("Content-Type:  text/plain \nX-A: 1\nX-B:2\n\nbody");

    assertEquals(
        List.of(
            new Header("Content-Type", "text/plain"),
            new Header("X-A", "1"),
            new Header("X-B", "2")),
        r.headers());
    assertEquals("body", new String(r.body(), UTF_8));
  }

  @Test
  void linesWithoutAColonOrWithAnInvalidNameAreIgnored() throws Exception {
    GuestResponse r = parse("Content-Type: text/plain\ngarbage line\nBad Name: x\n\n");

    assertEquals(List.of(new Header("Content-Type", "text/plain")), r.headers());
  }

  @Test
  void theBodyMayContainBlankLinesAndStartsAfterTheFirstOne() throws Exception {
    GuestResponse r = parse("Content-Type: text/plain\r\n\r\n\r\nsecond\n\nthird");

    assertEquals("\r\nsecond\n\nthird", new String(r.body(), UTF_8));
  }

  @Test
  void aStatusWithoutReasonTextIsAccepted() throws Exception {
    assertEquals(404, parse("Status: 404\n\n").status());
  }

  @Test
  void headerNamesAreMatchedCaseInsensitively() throws Exception {
    GuestResponse r = parse("content-type: a/b\nLOCATION: /x\n\n");

    assertEquals(302, r.status());
    assertEquals(Optional.of("/x"), r.header("Location"));
  }

  @Test
  void outOfRangeStatusCodesAreInvalid() {
    assertThrows(CgiResponse.InvalidResponse.class, () -> parse("Status: 099\n\n"));
    assertThrows(CgiResponse.InvalidResponse.class, () -> parse("Status: 1000\n\n"));
  }

  @Test
  void aLeadingBlankLineMeansNoHeaders() {
    assertThrows(
        CgiResponse.InvalidResponse.class, () -> parse("\n\nContent-Type: text/plain\n\n"));
  }
}
