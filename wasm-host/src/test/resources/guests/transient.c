// Exercises transient writes: the query string names what to do, the answer is "key=value" lines.
//   write  appends to /static/hello.txt, creates /new.txt and /dir, reads them back
//   read   what /static/hello.txt holds and whether /new.txt and /dir exist
//   fill   writes 64 KiB chunks to /big until refused: how much fit, and the errno
//   churn  100 times: creates /journal, writes 64 KiB to it, closes and removes it
//   unlinked  opens /u, removes it, then writes 64 KiB chunks to it until refused
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void print_file(const char *key, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    printf("%s.errno=%d\n", key, errno);
    return;
  }
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  printf("%s=%s\n", key, buf);
  fclose(f);
}

int main(void) {
  const char *op = getenv("QUERY_STRING");
  printf("Content-Type: text/plain\n\n");
  struct stat st;
  if (strcmp(op, "write") == 0) {
    int fd = open("/static/hello.txt", O_WRONLY | O_APPEND);
    if (fd < 0 || write(fd, " and more", 9) != 9) {
      printf("append.errno=%d\n", errno);
    }
    close(fd);
    FILE *f = fopen("/new.txt", "w");
    if (!f) {
      printf("create.errno=%d\n", errno);
    } else {
      fputs("brand new", f);
      fclose(f);
    }
    printf("mkdir=%d\n", mkdir("/dir", 0755) == 0 ? 0 : errno);
  } else if (strcmp(op, "churn") == 0) {
    static char chunk[64 * 1024];
    int done = 0;
    for (int i = 0; i < 100; i++) {
      int fd = open("/journal", O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) {
        printf("churn.errno=%d\n", errno);
        break;
      }
      close(fd);
      unlink("/journal");
      done++;
    }
    printf("churned=%d\n", done);
    return 0;
  } else if (strcmp(op, "unlinked") == 0) {
    static char chunk[64 * 1024];
    int fd = open("/u", O_RDWR | O_CREAT, 0644);
    unlink("/u");
    long total = 0;
    int error = 0;
    for (int i = 0; i < 1024; i++) {
      ssize_t n = write(fd, chunk, sizeof chunk);
      if (n < 0) {
        error = errno;
        break;
      }
      total += n;
    }
    printf("filled=%ld\nfill.errno=%d\n", total, error);
    return 0;
  } else if (strcmp(op, "fill") == 0) {
    static char chunk[64 * 1024];
    memset(chunk, 'x', sizeof chunk);
    int fd = open("/big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    long total = 0;
    int error = 0;
    for (int i = 0; i < 1024; i++) {
      ssize_t n = write(fd, chunk, sizeof chunk);
      if (n < 0) {
        error = errno;
        break;
      }
      total += n;
      if (n < (ssize_t)sizeof chunk) {
        continue;
      }
    }
    close(fd);
    printf("filled=%ld\nfill.errno=%d\n", total, error);
    return 0;
  }
  print_file("hello", "/static/hello.txt");
  print_file("new", "/new.txt");
  printf("dir=%d\n", stat("/dir", &st) == 0 && S_ISDIR(st.st_mode) ? 1 : 0);
  return 0;
}
