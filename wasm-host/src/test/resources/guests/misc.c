// Exercises the rest of the WASI layer through wasi-libc: clocks, sleeping (poll_oneoff),
// randomness, sched_yield, stdio descriptors and bad descriptors; one "key=value" per line.
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long nanos(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return -1;
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  printf("Content-Type: text/plain\n\n");
  long long real = nanos(CLOCK_REALTIME);
  printf("realtime.after2020=%d\n", real > 1577836800LL * 1000000000LL);
  struct timespec res;
  printf("monotonic.res.ok=%d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_nsec > 0);

  long long before = nanos(CLOCK_MONOTONIC);
  struct timespec pause = {0, 2000000};
  int slept = nanosleep(&pause, NULL);
  long long after = nanos(CLOCK_MONOTONIC);
  printf("sleep.result=%d\n", slept);
  printf("sleep.atleast2ms=%d\n", after - before >= 2000000LL);

  unsigned char random[64];
  memset(random, 0, sizeof random);
  int got = getentropy(random, sizeof random);
  int nonzero = 0;
  for (size_t i = 0; i < sizeof random; i++) nonzero += random[i] != 0;
  printf("random.result=%d\nrandom.nonzero=%d\n", got, nonzero > 32);

  printf("yield=%d\n", sched_yield());
  printf("stdout.isatty=%d\n", isatty(1));
  errno = 0;
  printf("stdin.seek=%lld\nstdin.seek.errno=%d\n", (long long)lseek(0, 0, SEEK_CUR), errno);
  char c;
  errno = 0;
  printf("badfd.read=%zd\nbadfd.errno=%d\n", read(42, &c, 1), errno);
  errno = 0;
  printf("close.stdin=%d\n", close(0));
  printf("read.closed.errno=%d\n", read(0, &c, 1) < 0 ? errno : 0);
  fprintf(stderr, "misc done\n");
  return 0;
}
