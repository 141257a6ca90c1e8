// The hello guest with a 2 MiB data segment: a module of about 2 MiB whose code is as small as
// hello's, so spreading it measures moving the blob, not compiling it.
#include <stdio.h>

#define PAD_BYTES (2 * 1024 * 1024)

static const unsigned char pad[PAD_BYTES] = {[0 ... PAD_BYTES - 1] = 0x5a};

int main(void) {
  // Read through a volatile pointer so the array is kept.
  const unsigned char *volatile p = pad;
  printf("Content-Type: text/plain\n\nHello, Edgeweave (%d)\n", p[PAD_BYTES - 1]);
  return 0;
}
