// Logs a secret from its environment to stderr, then fails as the query string asks: "trap"
// traps, anything else exits with code 3. Its stderr must reach the node's log, not the client.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char *secret = getenv("SECRET");
  const char *query = getenv("QUERY_STRING");
  fprintf(stderr, "connecting with password %s\n", secret ? secret : "(none)");
  fflush(stderr);
  if (query && strcmp(query, "trap") == 0) {
    __builtin_trap();
  }
  return 3;
}
