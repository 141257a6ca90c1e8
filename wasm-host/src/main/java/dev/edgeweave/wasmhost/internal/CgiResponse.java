package dev.edgeweave.wasmhost.internal;

import dev.edgeweave.wasmhost.GuestResponse;
import dev.edgeweave.wasmhost.Header;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a WAGI guest's stdout into a response, by the rules of Spin's {@code compose_response}: CGI
 * headers up to the first blank line ({@code \n\n}, carriage returns ignored), then the body.
 * {@code Content-Type}, {@code Status: CODE [text]} or {@code Location} (302 unless a Status is
 * given) must be present; other headers pass through.
 */
public final class CgiResponse {
  /** Output that is not a valid CGI response. */
  public static final class InvalidResponse extends Exception {
    InvalidResponse(String message) {
      super(message);
    }
  }

  private CgiResponse() {}

  public static GuestResponse parse(byte[] stdout, int length) throws InvalidResponse {
    if (length == 0) {
      throw new InvalidResponse("guest wrote no output");
    }
    // Find the blank line, skipping CRs the way Spin does while it scans headers.
    int last = -1;
    int bodyStart = -1;
    for (int i = 0; i < length; i++) {
      byte b = stdout[i];
      if (b == '\r') {
        continue;
      }
      if (b == '\n' && last == '\n') {
        bodyStart = i + 1;
        break;
      }
      last = b;
    }
    if (bodyStart < 0) {
      throw new InvalidResponse(
          "guest output has no header block (no blank line after the CGI headers); it must"
              + " start with Content-Type, Status or Location");
    }
    String head = new String(stdout, 0, bodyStart, StandardCharsets.UTF_8).replace("\r", "");
    byte[] body = Arrays.copyOfRange(stdout, bodyStart, length);

    List<Header> headers = new ArrayList<>();
    int status = 200;
    boolean sufficient = false;
    boolean explicitStatus = false;
    boolean location = false;
    for (String line : head.strip().split("\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      if (!isToken(name)) {
        continue;
      }
      if (name.equalsIgnoreCase("Status")) {
        sufficient = true;
        explicitStatus = true;
        status = parseStatus(value);
      } else {
        if (name.equalsIgnoreCase("Content-Type")) {
          sufficient = true;
        } else if (name.equalsIgnoreCase("Location")) {
          sufficient = true;
          location = true;
        }
        headers.add(new Header(name, value));
      }
    }
    if (!sufficient) {
      throw new InvalidResponse(
          "guest output has none of the CGI headers Content-Type, Status or Location");
    }
    if (location && !explicitStatus) {
      status = 302;
    }
    return new GuestResponse(status, headers, body);
  }

  private static int parseStatus(String value) throws InvalidResponse {
    int space = value.indexOf(' ');
    String code = space < 0 ? value : value.substring(0, space);
    if (code.length() == 3 && code.chars().allMatch(c -> c >= '0' && c <= '9')) {
      int status = Integer.parseInt(code);
      if (status >= 100) {
        return status;
      }
    }
    throw new InvalidResponse("guest output has an invalid Status header '" + value + "'");
  }

  private static boolean isToken(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
