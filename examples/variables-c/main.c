// A greeting built from variables: the component's variable "message" is rendered at deploy from
// the app's variables "greeting" and "who", whose values the node provides. The guest reads it
// with weave_variable_get; a name its component does not declare (here the app's own "who") is
// WEAVE_NOT_FOUND.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weave.h"

// Reads a variable into a buffer grown to fit; NULL and *status set if it has none.
static char *variable(const char *name, weave_status_t *status) {
  uint32_t size = 16, len = 0;
  char *buf = malloc(size);
  *status = weave_variable_get(name, strlen(name), buf, size, &len);
  if (*status == WEAVE_BUFFER_TOO_SMALL) {
    size = len;
    buf = realloc(buf, size);
    *status = weave_variable_get(name, strlen(name), buf, size, &len);
  }
  if (*status != WEAVE_OK) {
    free(buf);
    return NULL;
  }
  buf = realloc(buf, len + 1);
  buf[len] = 0;
  return buf;
}

int main(void) {
  weave_status_t status;
  char *message = variable("message", &status);
  if (!message) {
    printf("Status: 500\ncontent-type: text/plain\n\nvariable_get failed with status %u\n", status);
    return 0;
  }
  char *who = variable("who", &status);
  printf("content-type: text/plain\n\n%s\n", message);
  printf("(the app's own variable 'who' is %s to the guest)\n",
         who ? "visible" : status == WEAVE_NOT_FOUND ? "not visible" : "an error");
  return 0;
}
