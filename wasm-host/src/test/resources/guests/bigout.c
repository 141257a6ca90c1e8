// Writes the number of KiB given in the query string (default 1024) to stdout.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char *q = getenv("QUERY_STRING");
  long kib = (q && *q) ? atol(q) : 1024;
  char chunk[1024];
  memset(chunk, 'x', sizeof chunk);
  printf("Content-Type: text/plain\n\n");
  for (long i = 0; i < kib; i++) {
    fwrite(chunk, 1, sizeof chunk, stdout);
  }
  return 0;
}
