/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/strv.h"

int strv_consume(struct strv *l, char *s)
{
        if (!s)
                return -ENOMEM;
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 8;
                char **v = realloc(l->v, cap * sizeof(*v));

                if (!v) {
                        free(s);
                        return -ENOMEM;
                }
                l->v = v;
                l->cap = cap;
        }
        l->v[l->n++] = s;
        return 0;
}

int strv_push(struct strv *l, const char *s)
{
        return strv_consume(l, strdup(s));
}

int strv_pushf(struct strv *l, const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

bool strv_contains(const struct strv *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i], s) == 0)
                        return true;
        return false;
}

int strv_remove(struct strv *l, const char *s)
{
        size_t kept = 0, n = l->n;

        for (size_t i = 0; i < n; i++) {
                if (strcmp(l->v[i], s) == 0)
                        free(l->v[i]);
                else
                        l->v[kept++] = l->v[i];
        }
        l->n = kept;
        return kept < n ? 0 : -ENOENT;
}

int strv_merge(struct strv *into, const struct strv *from)
{
        int r = 0;

        for (size_t i = 0; i < from->n && r >= 0; i++)
                if (!strv_contains(into, from->v[i]))
                        r = strv_push(into, from->v[i]);
        return r;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(struct strv *l)
{
        if (l->n > 1)
                qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

void strv_uniq(struct strv *l)
{
        size_t w = 0;

        strv_sort(l);
        for (size_t i = 0; i < l->n; i++) {
                if (w > 0 && strcmp(l->v[w - 1], l->v[i]) == 0) {
                        free(l->v[i]);
                        continue;
                }
                l->v[w++] = l->v[i];
        }
        l->n = w;
}

char *strv_join(const struct strv *l, const char *sep)
{
        size_t len = 1, seplen = strlen(sep);
        char *out, *p;

        for (size_t i = 0; i < l->n; i++)
                len += strlen(l->v[i]) + seplen;
        out = p = malloc(len);
        if (!out)
                return NULL;
        *p = '\0';
        for (size_t i = 0; i < l->n; i++) {
                if (i > 0)
                        p = stpcpy(p, sep);
                p = stpcpy(p, l->v[i]);
        }
        return out;
}

void strv_free(struct strv *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (struct strv){ 0 };
}

char *strip(char *s)
{
        char *e;

        while (isspace((unsigned char)*s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

bool startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool hex_n(const char *s, size_t n, unsigned *ret)
{
        unsigned v = 0;

        if (n > 8)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (c >= '0' && c <= '9')
                        v = v * 16 + (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v = v * 16 + (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v = v * 16 + (unsigned)(c - 'A' + 10);
                else
                        return false;
        }
        *ret = v;
        return true;
}
