// A WAGI echo: CGI variables in the environment, the request body on stdin,
// the response (CGI headers, blank line, body) on stdout.
#include <stdio.h>
#include <stdlib.h>

// Echo at most this much of the body: a guest should not trust CONTENT_LENGTH.
#define MAX_ECHO_BYTES (64 * 1024)

static const char *env_or_empty(const char *name) {
    const char *value = getenv(name);
    return value ? value : "";
}

static void print_banner(void) {
    FILE *f = fopen("/static/banner.txt", "r");
    if (!f) {
        printf("banner: /static/banner.txt is not readable\n");
        return;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        fputs(line, stdout);
    }
    fclose(f);
}

int main(void) {
    printf("Content-Type: text/plain; charset=utf-8\n\n");
    print_banner();
    printf("greeting: %s\n", env_or_empty("GREETING"));
    printf("method: %s\n", env_or_empty("REQUEST_METHOD"));
    printf("matched route: %s\n", env_or_empty("X_MATCHED_ROUTE"));
    printf("path info: %s\n", env_or_empty("PATH_INFO"));
    printf("query: %s\n", env_or_empty("QUERY_STRING"));
    printf("body:\n");

    long remaining = atol(env_or_empty("CONTENT_LENGTH"));
    if (remaining > MAX_ECHO_BYTES) {
        remaining = MAX_ECHO_BYTES;
    }
    char buffer[4096];
    while (remaining > 0) {
        size_t want = remaining < (long)sizeof buffer ? (size_t)remaining : sizeof buffer;
        size_t got = fread(buffer, 1, want, stdin);
        if (got == 0) {
            break;
        }
        fwrite(buffer, 1, got, stdout);
        remaining -= (long)got;
    }
    printf("\n");
    return 0;
}
