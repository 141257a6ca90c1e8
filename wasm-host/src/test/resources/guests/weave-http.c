// Exercises the weave ABI's outbound HTTP. The request body is one line,
// "METHOD URL BODY_BYTES COUNT": sends COUNT requests (stopping at the first failure) with a body of
// BODY_BYTES 'x's and a header "x-guest: hello", then answers "status N" for a failure, or
// "status 0 http CODE sent COUNT header <x-echo value> body <body>" for the last response.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weave.h"

static char line[16384];
static uint8_t body[65536];

int main(void) {
  size_t n = fread(line, 1, sizeof line - 1, stdin);
  line[n] = 0;
  char method[32], url[8192];
  unsigned body_bytes = 0, count = 1;
  printf("Content-Type: text/plain\n\n");
  if (sscanf(line, "%31s %8191s %u %u", method, url, &body_bytes, &count) < 2) {
    printf("bad input");
    return 0;
  }
  uint8_t *out = malloc(body_bytes + 1);
  memset(out, 'x', body_bytes);
  const char *headers = "x-guest: hello\n";
  uint32_t http = 0;
  weave_http_response_t response = 0;
  weave_status_t s = WEAVE_OK;
  unsigned sent = 0;
  for (unsigned i = 0; i < count; i++) {
    s = weave_http_send(method, strlen(method), url, strlen(url), headers, strlen(headers), out,
                        body_bytes, &http, &response);
    if (s != WEAVE_OK) {
      printf("status %u sent %u", s, sent);
      return 0;
    }
    sent++;
  }
  char hdrs[4096];
  uint32_t hlen = 0;
  s = weave_http_response_headers(response, hdrs, sizeof hdrs - 1, &hlen);
  if (s != WEAVE_OK) {
    printf("headers status %u", s);
    return 0;
  }
  hdrs[hlen] = 0;
  char *echo = strstr(hdrs, "x-echo: ");
  char value[256] = "-";
  if (echo) {
    sscanf(echo + 8, "%255[^\n]", value);
  }
  uint32_t blen = 0;
  s = weave_http_response_body(response, body, 1, &blen);
  if (blen > 1 && s != WEAVE_BUFFER_TOO_SMALL) {
    printf("body status %u", s);
    return 0;
  }
  s = weave_http_response_body(response, body, sizeof body, &blen);
  if (s != WEAVE_OK) {
    printf("body status %u len %u", s, blen);
    return 0;
  }
  printf("status 0 http %u sent %u header %s body %.*s", http, sent, value, (int)blen, body);
  if (weave_http_response_body(response + 1, body, sizeof body, &blen) != WEAVE_INVALID_HANDLE) {
    printf(" (a handle never returned was accepted)");
  }
  return 0;
}
