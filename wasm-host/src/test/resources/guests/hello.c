// The smallest WAGI guest: a Content-Type header and a greeting.
#include <stdio.h>

int main(void) {
  printf("Content-Type: text/plain\n\nHello, Edgeweave\n");
  return 0;
}
