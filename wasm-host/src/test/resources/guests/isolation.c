// Proves that no invocation sees an earlier one's data. The query string carries this request's
// secret ("SECRET-" plus six digits). Before writing anything, the guest looks for any other
// secret in a static buffer, a global, the stack, a fresh heap block and all of linear memory;
// then it stores its own secret in each of them, for the next invocation to (not) find.
// "selftest:SECRET-nnnnnn" plants a foreign secret first, to prove the probes can see one.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_LEN 13

// Stored shifted by one, so that the module's own data never contains a secret-like string that
// the whole-memory probe would find: "SECRET-" and "SECRET-999999".
static const char MARK_SHIFTED[] = "TFDSFU.";
static const char FOREIGN_SHIFTED[] = "TFDSFU.::::::";

static char g_static[64];
static int g_global;

static int foreign(const volatile char *p, size_t n, const char *mine) {
  for (size_t i = 0; i + SECRET_LEN <= n; i++) {
    size_t k = 0;
    while (k < 7 && p[i + k] == MARK_SHIFTED[k] - 1) k++;
    if (k < 7) continue;
    for (k = 7; k < SECRET_LEN; k++) {
      if (p[i + k] != mine[k]) return 1;
    }
  }
  return 0;
}

static void plant(volatile char *p, size_t n, const char *secret) {
  for (size_t i = 0; i + SECRET_LEN <= n; i += SECRET_LEN + 3) {
    for (size_t k = 0; k < SECRET_LEN; k++) p[i + k] = secret[k];
  }
}

__attribute__((noinline)) static int stack_dirty(const char *mine) {
  volatile char a[2048];
  return foreign(a, sizeof a, mine);
}

__attribute__((noinline)) static void stack_plant(const char *secret) {
  volatile char a[2048];
  plant(a, sizeof a, secret);
}

int main(void) {
  const char *q = getenv("QUERY_STRING");
  int selftest = q && strncmp(q, "selftest:", 9) == 0;
  const char *mine = selftest ? q + 9 : q;
  int valid = mine && strlen(mine) == SECRET_LEN;
  for (int k = 0; valid && k < 7; k++) valid = mine[k] == MARK_SHIFTED[k] - 1;
  if (!valid) {
    printf("Status: 400 Bad Request\nContent-Type: text/plain\n\nquery is not a secret\n");
    return 0;
  }
  char *heap = malloc(8192);
  if (selftest) {
    char foreign_secret[SECRET_LEN + 1];
    for (int k = 0; k <= SECRET_LEN; k++) foreign_secret[k] = FOREIGN_SHIFTED[k] - 1;
    plant(g_static, sizeof g_static, foreign_secret);
    g_global = 7;
    stack_plant(foreign_secret);
    plant(heap, 8192, foreign_secret);
  }

  int static_dirty = foreign(g_static, sizeof g_static, mine);
  for (size_t i = 0; i < sizeof g_static; i++) static_dirty |= g_static[i] != 0 && !selftest;
  int global_dirty = g_global != 0;
  int stack = stack_dirty(mine);
  int heap_dirty = foreign(heap, 8192, mine);
  size_t size = __builtin_wasm_memory_size(0) * 65536;
  int memory_dirty = foreign((const volatile char *)(uintptr_t)1, size - 1, mine);

  plant(g_static, sizeof g_static, mine);
  g_global = 42;
  stack_plant(mine);
  plant(heap, 8192, mine);

  volatile int local = 0;
  printf("Content-Type: text/plain\n\n");
  printf("static=%s\n", static_dirty ? "dirty" : "clean");
  printf("global=%s\n", global_dirty ? "dirty" : "clean");
  printf("stack=%s\n", stack ? "dirty" : "clean");
  printf("heap=%s\n", heap_dirty ? "dirty" : "clean");
  printf("memory=%s\n", memory_dirty ? "dirty" : "clean");
  printf("sp=%p\n", (void *)&local);
  printf("heapaddr=%p\n", (void *)heap);
  return 0;
}
