// Exercises the weave ABI. QUERY_STRING is "op:label:arg1:arg2"; answers "status N" or a result.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weave.h"

static char *part(char **rest) {
  char *p = *rest;
  if (!p) return "";
  char *colon = strchr(p, ':');
  if (colon) {
    *colon = 0;
    *rest = colon + 1;
  } else {
    *rest = NULL;
  }
  return p;
}

static uint8_t buf[65536];

int main(void) {
  char *query = getenv("QUERY_STRING");
  char *rest = strdup(query ? query : "");
  char *op = part(&rest);
  char *label = part(&rest);
  char *a1 = part(&rest);
  char *a2 = part(&rest);
  char *a3 = part(&rest);
  printf("Content-Type: text/plain\n\n");
  weave_status_t s;
  if (strcmp(op, "var") == 0) {
    uint32_t len = 0;
    s = weave_variable_get(a1, strlen(a1), (char *)buf, atoi(a2), &len);
    if (s == WEAVE_OK) {
      printf("%.*s", (int)len, buf);
    } else {
      printf("status %u len %u", s, len);
    }
    return 0;
  }
  if (strcmp(op, "log") == 0) {
    s = weave_log(atoi(a1), a2, strlen(a2));
    printf("status %u", s);
    return strcmp(a3, "fail") == 0 ? 1 : 0;
  }
  weave_kv_t h;
  s = weave_kv_open(label, strlen(label), &h);
  if (s != WEAVE_OK) {
    printf("status %u", s);
    return strcmp(a2, "fail") == 0 ? 1 : 0;
  }
  if (strcmp(op, "open") == 0) {
    printf("handle %u", h);
  } else if (strcmp(op, "set") == 0) {
    s = weave_kv_set(h, a1, strlen(a1), (const uint8_t *)a2, strlen(a2));
    printf("status %u", s);
  } else if (strcmp(op, "get") == 0) {
    uint32_t len = 0;
    uint32_t size = *a2 ? (uint32_t)atoi(a2) : sizeof buf;
    s = weave_kv_get(h, a1, strlen(a1), buf, size, &len);
    if (s == WEAVE_OK) {
      printf("%.*s", (int)len, buf);
    } else {
      printf("status %u len %u", s, len);
    }
  } else if (strcmp(op, "delete") == 0) {
    printf("status %u", weave_kv_delete(h, a1, strlen(a1)));
  } else if (strcmp(op, "exists") == 0) {
    uint32_t e = 7;
    s = weave_kv_exists(h, a1, strlen(a1), &e);
    printf("status %u exists %u", s, e);
  } else if (strcmp(op, "incr") == 0) {
    int64_t v = 0;
    s = weave_kv_increment(h, a1, strlen(a1), atoll(a2), a3, strlen(a3), &v);
    if (s == WEAVE_OK) {
      printf("%lld", (long long)v);
    } else {
      printf("status %u", s);
    }
  } else if (strcmp(op, "cas") == 0) {
    // cas:label:key:expected-or-empty-for-missing:new
    uint32_t swapped = 7;
    s = weave_kv_cas(h, a1, strlen(a1), (const uint8_t *)a2, strlen(a2), *a2 ? 1 : 0,
                     (const uint8_t *)a3, strlen(a3), &swapped);
    printf("status %u swapped %u", s, swapped);
  } else if (strcmp(op, "keys") == 0) {
    // All keys, page by page of a1 keys, separated by commas.
    char cursor[4096];
    uint32_t cursor_len = 0;
    int pages = 0;
    do {
      uint32_t len = 0;
      s = weave_kv_keys(h, cursor, cursor_len, atoi(a1), buf, sizeof buf, &len);
      if (s != WEAVE_OK) {
        printf("status %u", s);
        return 0;
      }
      pages++;
      uint8_t *p = buf;
      uint32_t n;
      memcpy(&cursor_len, p, 4);
      memcpy(cursor, p + 4, cursor_len);
      p += 4 + cursor_len;
      memcpy(&n, p, 4);
      p += 4;
      for (uint32_t i = 0; i < n; i++) {
        uint32_t k;
        memcpy(&k, p, 4);
        printf("%.*s,", (int)k, p + 4);
        p += 4 + k;
      }
    } while (cursor_len > 0);
    printf(" pages %d", pages);
  } else {
    printf("unknown op %s", op);
  }
  return 0;
}
