// A tiny template interpreter run as a WAGI app. It serves /templates/<PATH_INFO>, read from
// the component's read-only `files` mount, and expands in it:
//   {{ VAR }}                 the environment variable VAR (CGI or spin.toml), HTML-escaped
//   {{ include name.html }}   another template from /templates
//   {{# anything }}           a comment, dropped
//   {{ if VAR }}...{{ end }}  the block, only when VAR is set and not empty (blocks nest)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_DIR "/templates/"
#define DEFAULT_TEMPLATE "index.html"
#define MAX_NAME 200
#define MAX_TEMPLATE_BYTES (64 * 1024)
#define MAX_OUTPUT_BYTES (1024 * 1024)
#define MAX_INCLUDE_DEPTH 8
// Bounds the work of includes that fan out (a template including another many times).
#define MAX_INCLUDES 256

// The whole page is rendered before anything is written, so an error can still become a 500.
static struct {
    char *data;
    size_t len, cap;
} page;
static char error[512];
static int include_count;

static int emit(const char *s, size_t n) {
    if (n == 0) {
        return 0;
    }
    if (n > MAX_OUTPUT_BYTES - page.len) {
        return -1;
    }
    if (page.len + n > page.cap) {
        size_t cap = page.cap ? page.cap : 4096;
        while (cap < page.len + n) {
            cap *= 2;
        }
        char *data = realloc(page.data, cap);
        if (!data) {
            return -1;
        }
        page.data = data;
        page.cap = cap;
    }
    memcpy(page.data + page.len, s, n);
    page.len += n;
    return 0;
}

// Variables hold request data (query, headers): escape them so they cannot inject markup.
static int emit_escaped(const char *s) {
    for (; *s; s++) {
        const char *entity = NULL;
        switch (*s) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        }
        if (entity ? emit(entity, strlen(entity)) : emit(s, 1)) {
            return -1;
        }
    }
    return 0;
}

// Records "<template> line <n>: <problem>" (line 0: none) and returns -1.
static int fail(const char *name, const char *text, const char *at, const char *fmt, ...) {
    int n = snprintf(error, sizeof error, "%s", name);
    if (at) {
        int line = 1;
        for (const char *p = text; p < at; p++) {
            line += *p == '\n';
        }
        n += snprintf(error + n, sizeof error - n, " line %d", line);
    }
    n += snprintf(error + n, sizeof error - n, ": ");
    va_list args;
    va_start(args, fmt);
    vsnprintf(error + n, sizeof error - n, fmt, args);
    va_end(args);
    return -1;
}

// NULL if the name is a usable template name, else why not.
static const char *bad_name(const char *name) {
    if (!*name) {
        return "empty template name";
    }
    if (strlen(name) > MAX_NAME) {
        return "template name too long";
    }
    if (*name == '/') {
        return "template name is absolute";
    }
    for (const char *s = name; s; s = strchr(s, '/') ? strchr(s, '/') + 1 : NULL) {
        if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0')) {
            return "template name contains ..";
        }
    }
    return NULL;
}

static int is_var_name(const char *s) {
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) {
        return 0;
    }
    for (s++; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_')) {
            return 0;
        }
    }
    return 1;
}

// Reads /templates/<name> into a new buffer; NULL with errno set on failure (EFBIG: too large).
static char *load(const char *name, size_t *len) {
    char path[sizeof TEMPLATE_DIR + MAX_NAME];
    snprintf(path, sizeof path, "%s%s", TEMPLATE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    // One byte more than allowed, to tell "exactly the limit" from "too large".
    char *text = malloc(MAX_TEMPLATE_BYTES + 1);
    size_t n = text ? fread(text, 1, MAX_TEMPLATE_BYTES + 1, f) : 0;
    int failed = !text ? ENOMEM : ferror(f) ? EIO : n > MAX_TEMPLATE_BYTES ? EFBIG : 0;
    fclose(f);
    if (failed) {
        free(text);
        errno = failed;
        return NULL;
    }
    *len = n;
    return text;
}

static const char *find(const char *p, const char *end, const char *what) {
    for (; p + 1 < end; p++) {
        if (p[0] == what[0] && p[1] == what[1]) {
            return p;
        }
    }
    return NULL;
}

// Copies the next space-separated word of [*p, end) into w; -1 if it does not fit.
static int next_word(const char **p, const char *end, char *w, size_t cap) {
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')) {
        (*p)++;
    }
    size_t n = 0;
    while (*p < end && !(**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')) {
        if (n + 1 >= cap) {
            return -1;
        }
        w[n++] = *(*p)++;
    }
    w[n] = '\0';
    return 0;
}

static int render(const char *name, const char *text, size_t len, int depth);

static int include(const char *name, const char *text, const char *at, const char *target,
                   int depth) {
    const char *problem = bad_name(target);
    if (problem) {
        return fail(name, text, at, "include '%s': %s", target, problem);
    }
    if (depth >= MAX_INCLUDE_DEPTH) {
        return fail(name, text, at, "include '%s': includes nest deeper than %d (a cycle?)",
                    target, MAX_INCLUDE_DEPTH);
    }
    if (++include_count > MAX_INCLUDES) {
        return fail(name, text, at, "more than %d includes in one page", MAX_INCLUDES);
    }
    size_t len;
    char *inner = load(target, &len);
    if (!inner) {
        return fail(name, text, at, "include '%s': %s", target, strerror(errno));
    }
    int result = render(target, inner, len, depth + 1);
    free(inner);
    return result;
}

static int render(const char *name, const char *text, size_t len, int depth) {
    const char *p = text, *end = text + len;
    int open_ifs = 0;
    int skip_from = 0; // the if depth whose false condition hides the text; 0 when emitting
    while (p < end) {
        const char *tag = find(p, end, "{{");
        if (!tag) {
            tag = end;
        }
        if (!skip_from && emit(p, tag - p)) {
            return fail(name, NULL, NULL, "page larger than %d bytes", MAX_OUTPUT_BYTES);
        }
        if (tag == end) {
            break;
        }
        const char *close = find(tag + 2, end, "}}");
        if (!close) {
            return fail(name, text, tag, "unterminated tag: {{ without }}");
        }
        p = close + 2;
        const char *words = tag + 2;
        if (*words == '#') {
            continue;
        }
        char w1[MAX_NAME + 1], w2[MAX_NAME + 1], w3[MAX_NAME + 1];
        if (next_word(&words, close, w1, sizeof w1) || next_word(&words, close, w2, sizeof w2) ||
            next_word(&words, close, w3, sizeof w3)) {
            return fail(name, text, tag, "tag too long");
        }
        if (!*w1) {
            return fail(name, text, tag, "empty tag {{ }}");
        }
        if (*w3) {
            return fail(name, text, tag, "too many words in tag {{ %s %s ...", w1, w2);
        }
        if (strcmp(w1, "include") == 0) {
            if (!*w2) {
                return fail(name, text, tag, "include needs a template name");
            }
            if (!skip_from && include(name, text, tag, w2, depth)) {
                return -1;
            }
        } else if (strcmp(w1, "if") == 0) {
            if (!is_var_name(w2)) {
                return fail(name, text, tag, "if needs a variable name");
            }
            open_ifs++;
            const char *value = getenv(w2);
            if (!skip_from && !(value && *value)) {
                skip_from = open_ifs;
            }
        } else if (strcmp(w1, "end") == 0) {
            if (*w2) {
                return fail(name, text, tag, "end takes no argument");
            }
            if (!open_ifs) {
                return fail(name, text, tag, "end without if");
            }
            if (skip_from == open_ifs) {
                skip_from = 0;
            }
            open_ifs--;
        } else if (*w2 || !is_var_name(w1)) {
            return fail(name, text, tag, "unknown directive '%s'", w1);
        } else if (!skip_from) {
            const char *value = getenv(w1);
            if (emit_escaped(value ? value : "")) {
                return fail(name, NULL, NULL, "page larger than %d bytes", MAX_OUTPUT_BYTES);
            }
        }
    }
    if (open_ifs) {
        return fail(name, NULL, NULL, "%d if block(s) without end", open_ifs);
    }
    return 0;
}

static int reply(const char *status, const char *fmt, ...) {
    printf("Status: %s\nContent-Type: text/plain; charset=utf-8\n\n", status);
    va_list args;
    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);
    printf("\n");
    return 0;
}

int main(void) {
    const char *path = getenv("PATH_INFO");
    path = path ? path : "";
    while (*path == '/') {
        path++;
    }
    size_t n = strlen(path);
    if (n > MAX_NAME) {
        return reply("400 Bad Request", "path too long");
    }
    char name[MAX_NAME + sizeof DEFAULT_TEMPLATE];
    memcpy(name, path, n + 1);
    if (n == 0 || name[n - 1] == '/') {
        strcat(name, DEFAULT_TEMPLATE);
    }
    const char *problem = bad_name(name);
    if (problem) {
        return reply("400 Bad Request", "bad path '%s': %s", path, problem);
    }
    size_t len;
    char *text = load(name, &len);
    if (!text && errno == EFBIG) {
        return reply("500 Internal Server Error", "template error: %s: larger than %d bytes",
                     name, MAX_TEMPLATE_BYTES);
    }
    if (!text) {
        return reply("404 Not Found", "no template '%s'", name);
    }
    if (render(name, text, len, 0)) {
        return reply("500 Internal Server Error", "template error: %s", error);
    }
    printf("Content-Type: text/html; charset=utf-8\n\n");
    if (page.len) {
        fwrite(page.data, 1, page.len, stdout);
    }
    return 0;
}
