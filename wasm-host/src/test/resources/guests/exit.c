// Complains on stderr and exits with code 3 before writing a response.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  fprintf(stderr, "something went wrong: database unreachable\n");
  exit(3);
}
