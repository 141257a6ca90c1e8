// Prints every environment variable, then argc and each argv entry, one per line.
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("Content-Type: text/plain\n\n");
  for (char **e = environ; *e; e++) {
    printf("%s\n", *e);
  }
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) {
    printf("argv[%d]=%s\n", i, argv[i]);
  }
  return 0;
}
