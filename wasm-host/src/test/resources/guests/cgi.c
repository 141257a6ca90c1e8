// Writes a different kind of CGI response depending on the query string.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char *q = getenv("QUERY_STRING");
  if (!q) q = "";
  if (!strcmp(q, "status")) {
    printf("Status: 418 I'm a teapot\nContent-Type: text/plain\n\nteapot");
  } else if (!strcmp(q, "status-only")) {
    printf("Status: 204 No Content\n\n");
  } else if (!strcmp(q, "location")) {
    printf("Location: /elsewhere\n\n");
  } else if (!strcmp(q, "location-status")) {
    printf("Location: /moved\nStatus: 301 Moved Permanently\n\n");
  } else if (!strcmp(q, "status-location")) {
    printf("Status: 307 Temporary Redirect\nLocation: /temp\n\n");
  } else if (!strcmp(q, "custom")) {
    printf("Content-Type: text/html\nX-Edge: weave\nCache-Control: no-store\n\n<p>custom</p>");
  } else if (!strcmp(q, "crlf")) {
    printf("Content-Type: text/plain\r\nX-Crlf: yes\r\n\r\nline1\r\nline2\r\n");
  } else if (!strcmp(q, "noheaders")) {
    printf("just a body\n");
  } else if (!strcmp(q, "unknown-headers")) {
    printf("X-Only: this\n\nbody");
  } else if (!strcmp(q, "unterminated")) {
    printf("Content-Type: text/plain\n");
  } else if (!strcmp(q, "bad-status")) {
    printf("Status: abc\n\n");
  } else if (!strcmp(q, "empty")) {
    // no output at all
  } else if (!strcmp(q, "exit-after")) {
    printf("Content-Type: text/plain\n\ndone");
    fflush(stdout);
    exit(3);
  } else if (!strcmp(q, "exit-zero")) {
    printf("Content-Type: text/plain\n\nbye");
    exit(0);
  } else {
    printf("Content-Type: text/plain\n\ndefault");
  }
  return 0;
}
