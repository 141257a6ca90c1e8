// Echoes the request method and the body read from stdin.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char *method = getenv("REQUEST_METHOD");
  printf("Content-Type: text/plain\n\n%s\n", method ? method : "(none)");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    fwrite(buf, 1, n, stdout);
  }
  return 0;
}
