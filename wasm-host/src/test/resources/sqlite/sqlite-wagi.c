// A WAGI app around SQLite (the amalgamation, compiled with it for wasm32-wasi): runs one
// operation, named in the query string, against the database /data/app.db of its files.
//
//   op=select      the rows of items, one "id|name" per line
//   op=count       the number of rows of items
//   op=insert      inserts a row, then prints the new count (or SQLite's error)
//   op=recursive   a 100000-row WITH RECURSIVE query: count and sum
//   op=build       creates a new database at /build.db (transient writes), fills items with
//                  N rows (n=N), and answers with the database file itself
//
// and opens the database as mode= says:
//
//   mode=ro        read-only media, as SQLite documents them: file:...?immutable=1, read-only
//                  (no locks, no journal); the default
//   mode=locked    SQLITE_OPEN_READONLY with SQLite's usual locking: on wasi its default VFS,
//                  unix-dotfile, takes a lock by creating the directory app.db.lock
//   mode=rw        SQLITE_OPEN_READWRITE (SQLite falls back to read-only if that is refused)
//
// Every answer is text/plain except build; an SQLite error is printed as "error: <message>".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

static const char *param(const char *query, const char *name, const char *fallback) {
  static char value[256];
  size_t len = strlen(name);
  for (const char *p = query; p && *p;) {
    if (strncmp(p, name, len) == 0 && p[len] == '=') {
      const char *v = p + len + 1;
      size_t n = strcspn(v, "&");
      if (n >= sizeof value) n = sizeof value - 1;
      memcpy(value, v, n);
      value[n] = 0;
      return value;
    }
    p = strchr(p, '&');
    if (p) p++;
  }
  return fallback;
}

static int fail(sqlite3 *db, const char *what) {
  printf("error: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no database");
  return 0;
}

static int print_rows(void *unused, int n, char **values, char **names) {
  (void)unused;
  (void)names;
  for (int i = 0; i < n; i++) {
    printf("%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
  }
  printf("\n");
  return 0;
}

static int build(int rows) {
  sqlite3 *db = NULL;
  remove("/build.db");
  if (sqlite3_open_v2("/build.db", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK) {
    printf("Content-Type: text/plain\n\n");
    return fail(db, "open");
  }
  char *err = NULL;
  if (sqlite3_exec(db,
                   "PRAGMA journal_mode=DELETE;"
                   "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                   "BEGIN;",
                   NULL, NULL, &err) != SQLITE_OK) {
    printf("Content-Type: text/plain\n\n");
    return fail(db, err);
  }
  sqlite3_stmt *insert;
  sqlite3_prepare_v2(db, "INSERT INTO items(id, name) VALUES (?, ?)", -1, &insert, NULL);
  for (int i = 1; i <= rows; i++) {
    char name[32];
    snprintf(name, sizeof name, "item-%d", i);
    sqlite3_bind_int(insert, 1, i);
    sqlite3_bind_text(insert, 2, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(insert) != SQLITE_DONE) {
      printf("Content-Type: text/plain\n\n");
      return fail(db, "insert");
    }
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  if (sqlite3_exec(db, "COMMIT;", NULL, NULL, &err) != SQLITE_OK) {
    printf("Content-Type: text/plain\n\n");
    return fail(db, err);
  }
  sqlite3_close(db);
  FILE *f = fopen("/build.db", "rb");
  if (!f) {
    printf("Content-Type: text/plain\n\nerror: reopen\n");
    return 0;
  }
  printf("Content-Type: application/vnd.sqlite3\n\n");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    fwrite(buf, 1, n, stdout);
  }
  fclose(f);
  return 0;
}

int main(void) {
  const char *query = getenv("QUERY_STRING");
  char op[64];
  snprintf(op, sizeof op, "%s", param(query, "op", "select"));
  if (strcmp(op, "build") == 0) {
    return build(atoi(param(query, "n", "3")));
  }
  printf("Content-Type: text/plain\n\n");
  const char *mode = param(query, "mode", "ro");
  const char *path = "/data/app.db";
  int flags = SQLITE_OPEN_READONLY;
  if (strcmp(mode, "ro") == 0) {
    path = "file:/data/app.db?immutable=1";
    flags |= SQLITE_OPEN_URI;
  } else if (strcmp(mode, "rw") == 0) {
    flags = SQLITE_OPEN_READWRITE;
  }
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
    return fail(db, "open");
  }
  char *err = NULL;
  const char *sql;
  if (strcmp(op, "select") == 0) {
    sql = "SELECT id, name FROM items ORDER BY id";
  } else if (strcmp(op, "count") == 0) {
    sql = "SELECT count(*) FROM items";
  } else if (strcmp(op, "insert") == 0) {
    sql = "INSERT INTO items(name) VALUES ('inserted'); SELECT count(*) FROM items";
  } else if (strcmp(op, "recursive") == 0) {
    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) "
          "SELECT count(*), sum(x) FROM c";
  } else {
    printf("error: unknown op %s\n", op);
    return 0;
  }
  if (sqlite3_exec(db, sql, print_rows, NULL, &err) != SQLITE_OK) {
    printf("error: %s\n", err);
    sqlite3_free(err);
  }
  sqlite3_close(db);
  return 0;
}
