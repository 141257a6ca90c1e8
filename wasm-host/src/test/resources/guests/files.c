// Exercises the read-only file mount: reads the file named by PATH_INFO, lists a directory, and
// reports the errno of every write and escape attempt, one "key=value" per line.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static void read_all(const char *key, const char *path, long skip) {
  FILE *f = fopen(path, "r");
  if (!f) {
    printf("%s.errno=%d\n", key, errno);
    return;
  }
  if (skip > 0 && fseek(f, skip, SEEK_SET) != 0) {
    printf("%s.seek.errno=%d\n", key, errno);
  }
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  printf("%s=%s\n", key, buf);
  fclose(f);
}

static void report(const char *key, int result) {
  printf("%s.errno=%d\n", key, result < 0 ? errno : 0);
}

int main(void) {
  const char *path = getenv("PATH_INFO");
  const char *list = getenv("QUERY_STRING");
  printf("Content-Type: text/plain\n\n");

  read_all("read", path, 0);
  read_all("seek", path, 2);

  struct stat st;
  if (stat(path, &st) == 0) {
    printf("stat.size=%lld\nstat.regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode) ? 1 : 0);
  } else {
    printf("stat.errno=%d\n", errno);
  }
  if (stat("/", &st) == 0) {
    printf("root.directory=%d\n", S_ISDIR(st.st_mode) ? 1 : 0);
  }

  FILE *created = fopen("/new.txt", "w");
  printf("create.errno=%d\n", created ? 0 : errno);
  report("openwrite", open(path, O_WRONLY));
  report("append", open(path, O_WRONLY | O_APPEND));
  report("truncate", truncate(path, 0));
  report("mkdir", mkdir("/newdir", 0755));
  report("unlink", unlink(path));
  report("rmdir", rmdir("/static"));
  report("rename", rename(path, "/renamed.txt"));

  read_all("escape.relative", "../../etc/passwd", 0);
  read_all("escape.absolute", "/../etc/passwd", 0);
  __wasi_fd_t fd;
  printf("escape.raw.errno=%d\n",
         __wasi_path_open(3, 0, "../etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  printf("escape.rawabsolute.errno=%d\n",
         __wasi_path_open(3, 0, "/etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  printf("escape.rawnested.errno=%d\n",
         __wasi_path_open(3, 0, "static/../../x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  printf("missing.errno=%d\n",
         __wasi_path_open(3, 0, "does/not/exist", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));

  DIR *d = opendir(list && *list ? list : "/");
  if (!d) {
    printf("list.errno=%d\n", errno);
  } else {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      printf("entry=%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
    }
    closedir(d);
  }
  return 0;
}
