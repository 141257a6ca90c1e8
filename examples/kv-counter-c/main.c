// A visit counter: every request adds one to the counter "visits" in the app's "default"
// key-value store and answers the count. The request id header, when the client sends one, is
// the increment's operation id, so a retried request counts once.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weave.h"

static void fail(const char *what, weave_status_t status) {
  printf("Status: 500\ncontent-type: text/plain\n\n%s failed with status %u\n", what, status);
}

int main(void) {
  weave_kv_t store;
  weave_status_t s = weave_kv_open("default", 7, &store);
  if (s != WEAVE_OK) {
    fail("kv_open", s);
    return 0;
  }
  const char *op = getenv("HTTP_X_REQUEST_ID");
  int64_t visits = 0;
  s = weave_kv_increment(store, "visits", 6, 1, op ? op : "", op ? strlen(op) : 0, &visits);
  if (s != WEAVE_OK) {
    fail("kv_increment", s);
    return 0;
  }
  char line[64];
  int n = snprintf(line, sizeof line, "visit %lld", (long long)visits);
  weave_log(WEAVE_LOG_INFO, line, n);
  printf("content-type: text/plain\n\nvisits: %lld\n", (long long)visits);
  return 0;
}
