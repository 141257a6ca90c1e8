// Sleeps for the milliseconds given as ?ms=N (through WASI's poll_oneoff), then answers: a
// request that stays in flight for as long as a test needs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(void) {
  const char *query = getenv("QUERY_STRING");
  long ms = 0;
  if (query && strncmp(query, "ms=", 3) == 0) {
    ms = strtol(query + 3, NULL, 10);
  }
  struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&pause, NULL);
  printf("Content-Type: text/plain\n\nslept %ld ms\n", ms);
  return 0;
}
