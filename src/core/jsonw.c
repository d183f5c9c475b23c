/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/jsonw.h"

static void put(struct jsonw *w, const char *text, size_t n)
{
        if (w->err)
                return;
        if (w->len + n + 1 > w->cap) {
                size_t cap = w->cap ? w->cap : 4096;
                char *s;

                while (cap < w->len + n + 1)
                        cap *= 2;
                s = realloc(w->s, cap);
                if (!s) {
                        w->err = -ENOMEM;
                        return;
                }
                w->s = s;
                w->cap = cap;
        }
        memcpy(w->s + w->len, text, n);
        w->len += n;
        w->s[w->len] = '\0';
}

static void puts_(struct jsonw *w, const char *text)
{
        put(w, text, strlen(text));
}

static void indent(struct jsonw *w, unsigned level)
{
        static const char spaces[] = "                                ";

        for (size_t n = level * 2u; n > 0;) {
                size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

                put(w, spaces, k);
                n -= k;
        }
}

static void quoted(struct jsonw *w, const char *s)
{
        const unsigned char *p = (const unsigned char *)s, *run = p;

        put(w, "\"", 1);
        while (*p) {
                const char *e = NULL;
                size_t skip = 1;
                char esc[8];

                switch (*p) {
                case '\b': e = "\\b"; break;
                case '\n': e = "\\n"; break;
                case '\r': e = "\\r"; break;
                case '\t': e = "\\t"; break;
                case '\f': e = "\\f"; break;
                case '"': e = "\\\""; break;
                case '\\': e = "\\\\"; break;
                default:
                        /* Control characters, DEL and the C1 controls (U+0080 to U+009F) never go out raw. */
                        if (*p < 0x20 || *p == 0x7f) {
                                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                                e = esc;
                        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                                snprintf(esc, sizeof(esc), "\\u%04x", p[1]);
                                e = esc;
                                skip = 2;
                        }
                }
                if (!e) {
                        p++;
                        continue;
                }
                put(w, (const char *)run, (size_t)(p - run));
                puts_(w, e);
                p += skip;
                run = p;
        }
        put(w, (const char *)run, (size_t)(p - run));
        put(w, "\"", 1);
}

/* Where a member starts: after the one before it, indented, with its key. */
static void member(struct jsonw *w, const char *key)
{
        if (w->depth > 0) {
                puts_(w, w->empty ? "\n" : ",\n");
                indent(w, w->depth);
        }
        w->empty = false;
        if (key) {
                quoted(w, key);
                put(w, ": ", 2);
        }
}

static void open_(struct jsonw *w, const char *key, const char *bracket)
{
        member(w, key);
        puts_(w, bracket);
        w->depth++;
        w->empty = true;
}

/* An empty container keeps its line break, as json-c 0.16 writes it. */
static void close_(struct jsonw *w, const char *bracket)
{
        if (w->depth == 0) {
                w->err = w->err ? w->err : -EINVAL;
                return;
        }
        w->depth--;
        put(w, "\n", 1);
        indent(w, w->depth);
        puts_(w, bracket);
        w->empty = false;
}

void jsonw_object(struct jsonw *w, const char *key)
{
        open_(w, key, "{");
}

void jsonw_array(struct jsonw *w, const char *key)
{
        open_(w, key, "[");
}

void jsonw_end_object(struct jsonw *w)
{
        close_(w, "}");
}

void jsonw_end_array(struct jsonw *w)
{
        close_(w, "]");
}

void jsonw_string(struct jsonw *w, const char *key, const char *value)
{
        member(w, key);
        if (value)
                quoted(w, value);
        else
                puts_(w, "null");
}

void jsonw_bool(struct jsonw *w, const char *key, bool value)
{
        member(w, key);
        puts_(w, value ? "true" : "false");
}

void jsonw_int(struct jsonw *w, const char *key, int64_t value)
{
        char buf[24];

        member(w, key);
        snprintf(buf, sizeof(buf), "%" PRId64, value);
        puts_(w, buf);
}

void jsonw_null(struct jsonw *w, const char *key)
{
        member(w, key);
        puts_(w, "null");
}

int jsonw_finish(struct jsonw *w, char **ret)
{
        int r = w->err;

        if (r == 0 && w->depth > 0)
                r = -EINVAL;
        if (r == 0 && !w->s)
                r = -EINVAL;
        if (r < 0)
                free(w->s);
        else
                *ret = w->s;
        *w = (struct jsonw){ 0 };
        return r;
}
