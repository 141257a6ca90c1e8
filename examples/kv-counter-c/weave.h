/*
 * weave.h: the Edgeweave host ABI v1 (import module "weave") for C guests: key-value stores,
 * variables, logging and outbound HTTP.
 * Reference: docs/ABI.md. Every function returns a status (WEAVE_OK on success) and writes its
 * results through out-pointers. Strings are UTF-8 with explicit lengths, never NUL-terminated.
 */
#ifndef WEAVE_H
#define WEAVE_H

#include <stdint.h>

#define WEAVE_IMPORT(name) __attribute__((import_module("weave"), import_name(#name)))

typedef uint32_t weave_status_t;
typedef uint32_t weave_kv_t;
typedef uint32_t weave_http_response_t;

enum {
  WEAVE_OK = 0,
  WEAVE_BUFFER_TOO_SMALL = 1, /* the needed length was written to *len_out */
  WEAVE_NOT_FOUND = 2,        /* no such key or variable */
  WEAVE_FAULT = 3,            /* a pointer or length outside the guest's memory */
  WEAVE_INVALID_ARGUMENT = 4,
  WEAVE_INVALID_UTF8 = 5,
  WEAVE_INVALID_HANDLE = 6,
  WEAVE_TOO_MANY_HANDLES = 7,
  WEAVE_NO_SUCH_STORE = 8,    /* Spin's no-such-store */
  WEAVE_ACCESS_DENIED = 9,    /* Spin's access-denied: the component did not declare the store */
  WEAVE_STORE_TABLE_FULL = 10,
  WEAVE_OTHER = 11,
  WEAVE_KEY_TOO_LARGE = 12,
  WEAVE_VALUE_TOO_LARGE = 13,
  WEAVE_RATE_LIMITED = 14,
  WEAVE_NOT_A_COUNTER = 15,
  WEAVE_UNAVAILABLE = 16,     /* consistency not reached in time; the write may still apply */
  /* Outbound HTTP (an undeclared host, or the node's own port, is WEAVE_ACCESS_DENIED). */
  WEAVE_HTTP_TIMEOUT = 32,            /* no complete response within the timeout */
  WEAVE_HTTP_REQUEST_TOO_LARGE = 33,  /* the body is over the app's limit; nothing was sent */
  WEAVE_HTTP_RESPONSE_TOO_LARGE = 34, /* the response is over the app's limit */
  WEAVE_HTTP_TOO_MANY_REQUESTS = 35,  /* this request sent as many as it may */
  WEAVE_HTTP_BUSY = 36,               /* the node has as many outbound requests in flight as it
                                         allows; try again later */
  WEAVE_HTTP_CONNECTION_FAILED = 37   /* name resolution, connection, TLS or the exchange failed */
};

enum { WEAVE_LOG_TRACE = 0, WEAVE_LOG_DEBUG, WEAVE_LOG_INFO, WEAVE_LOG_WARN, WEAVE_LOG_ERROR };

WEAVE_IMPORT(kv_open)
weave_status_t weave_kv_open(const char *label, uint32_t label_len, weave_kv_t *handle_out);

WEAVE_IMPORT(kv_get)
weave_status_t weave_kv_get(weave_kv_t h, const char *key, uint32_t key_len, uint8_t *buf,
                            uint32_t buf_len, uint32_t *len_out);

WEAVE_IMPORT(kv_set)
weave_status_t weave_kv_set(weave_kv_t h, const char *key, uint32_t key_len, const uint8_t *value,
                            uint32_t value_len);

WEAVE_IMPORT(kv_delete)
weave_status_t weave_kv_delete(weave_kv_t h, const char *key, uint32_t key_len);

WEAVE_IMPORT(kv_exists)
weave_status_t weave_kv_exists(weave_kv_t h, const char *key, uint32_t key_len,
                               uint32_t *exists_out);

/* buf receives: u32 next-cursor length, the cursor, u32 key count, then per key u32 length and
 * bytes (little endian). An empty next cursor means the last page. */
WEAVE_IMPORT(kv_keys)
weave_status_t weave_kv_keys(weave_kv_t h, const char *cursor, uint32_t cursor_len,
                             uint32_t page_size, uint8_t *buf, uint32_t buf_len,
                             uint32_t *len_out);

/* op_id_len 0: no operation id. With one, a retry of the same increment counts once. */
WEAVE_IMPORT(kv_increment)
weave_status_t weave_kv_increment(weave_kv_t h, const char *key, uint32_t key_len, int64_t delta,
                                  const char *op_id, uint32_t op_id_len, int64_t *value_out);

/* expected_present 0: swap only if the key is missing (expected is ignored). */
WEAVE_IMPORT(kv_cas)
weave_status_t weave_kv_cas(weave_kv_t h, const char *key, uint32_t key_len,
                            const uint8_t *expected, uint32_t expected_len,
                            uint32_t expected_present, const uint8_t *new_value,
                            uint32_t new_len, uint32_t *swapped_out);

WEAVE_IMPORT(variable_get)
weave_status_t weave_variable_get(const char *name, uint32_t name_len, char *buf,
                                  uint32_t buf_len, uint32_t *len_out);

WEAVE_IMPORT(log)
weave_status_t weave_log(uint32_t level, const char *message, uint32_t len);

/* Sends an HTTP request and waits for the whole response (the wait counts against the request's
 * wall time). method: "GET", "POST", ...; url: absolute http:// or https:// URL whose scheme, host
 * and port the component lists in allowed_outbound_hosts; headers: "Name: value" lines separated by
 * "\n" (len 0: none); body: len 0 for none. Redirects are not followed: a 3xx is the response.
 * On WEAVE_OK, *status_out is the HTTP status and *response_out a handle to read the response
 * with, valid for this request. */
WEAVE_IMPORT(http_send)
weave_status_t weave_http_send(const char *method, uint32_t method_len, const char *url,
                               uint32_t url_len, const char *headers, uint32_t headers_len,
                               const uint8_t *body, uint32_t body_len, uint32_t *status_out,
                               weave_http_response_t *response_out);

/* The response's headers as "name: value\n" lines, names in lower case. */
WEAVE_IMPORT(http_response_headers)
weave_status_t weave_http_response_headers(weave_http_response_t response, char *buf,
                                           uint32_t buf_len, uint32_t *len_out);

/* The response's body. */
WEAVE_IMPORT(http_response_body)
weave_status_t weave_http_response_body(weave_http_response_t response, uint8_t *buf,
                                        uint32_t buf_len, uint32_t *len_out);

#endif
