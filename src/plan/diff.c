/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/diff.h"
#include "vfio-setup/strbuf.h"

struct lines {
        const char **start;
        size_t *len;
        size_t n;
};

static int split(const char *text, size_t len, struct lines *ret)
{
        size_t cap = 0;

        *ret = (struct lines){ 0 };
        for (const char *p = text, *end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

                if (ret->n == cap) {
                        cap = cap ? cap * 2 : 64;
                        const char **s = realloc(ret->start, cap * sizeof(*s));
                        size_t *ln = s ? realloc(ret->len, cap * sizeof(*ln)) : NULL;
                        if (s)
                                ret->start = s;
                        if (!s || !ln)
                                return -ENOMEM;
                        ret->len = ln;
                }
                /* A CR before the newline is part of the ending, not of what is shown. */
                ret->start[ret->n] = p;
                ret->len[ret->n++] = l > 0 && p[l - 1] == '\r' ? l - 1 : l;
                p = nl ? nl + 1 : end;
        }
        return 0;
}

static bool same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
        return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

/* One edit per line: ' ' kept, '-' removed (from a), '+' added (from b). */
struct op {
        char kind;
        size_t a, b;
};

/* Longest common subsequence on what lies between the common head and tail; configs are small. */
static int script(const struct lines *a, const struct lines *b, struct op **ret, size_t *ret_n)
{
        size_t head = 0, tail = 0, n, m, k = 0;
        unsigned *t = NULL;
        struct op *ops;

        while (head < a->n && head < b->n && same(a, head, b, head))
                head++;
        while (tail < a->n - head && tail < b->n - head && same(a, a->n - 1 - tail, b, b->n - 1 - tail))
                tail++;
        n = a->n - head - tail;
        m = b->n - head - tail;
        ops = malloc((a->n + b->n + 1) * sizeof(*ops));
        if (!ops)
                return -ENOMEM;
        for (size_t i = 0; i < head; i++)
                ops[k++] = (struct op){ ' ', i, i };
        if (n && m && n * m <= 4u * 1024 * 1024 && !(t = calloc((n + 1) * (m + 1), sizeof(*t)))) {
                free(ops);
                return -ENOMEM;
        }
        if (t) {
                for (size_t i = n; i-- > 0;)
                        for (size_t j = m; j-- > 0;)
                                t[i * (m + 1) + j] = same(a, head + i, b, head + j)
                                                             ? t[(i + 1) * (m + 1) + j + 1] + 1
                                                             : (t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
                                                                        ? t[(i + 1) * (m + 1) + j]
                                                                        : t[i * (m + 1) + j + 1]);
        }
        for (size_t i = 0, j = 0; i < n || j < m;) {
                if (t && i < n && j < m && same(a, head + i, b, head + j)) {
                        ops[k++] = (struct op){ ' ', head + i++, head + j++ };
                } else if (i < n && (j == m || !t || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1])) {
                        ops[k++] = (struct op){ '-', head + i++, head + j };
                } else {
                        ops[k++] = (struct op){ '+', head + i, head + j++ };
                }
        }
        for (size_t i = 0; i < tail; i++)
                ops[k++] = (struct op){ ' ', a->n - tail + i, b->n - tail + i };
        free(t);
        *ret = ops;
        *ret_n = k;
        return 0;
}

int diff_unified(const char *old, size_t old_len, const char *new, size_t new_len, unsigned context, char **ret)
{
        struct lines a = { 0 }, b = { 0 };
        struct strbuf out = { 0 };
        struct op *ops = NULL;
        size_t n_ops = 0;
        int r;

        r = split(old, old_len, &a);
        if (r >= 0)
                r = split(new, new_len, &b);
        if (r >= 0)
                r = script(&a, &b, &ops, &n_ops);
        for (size_t i = 0; r >= 0 && i < n_ops;) {
                size_t first, last, a_start, b_start, a_count = 0, b_count = 0;

                if (ops[i].kind == ' ') {
                        i++;
                        continue;
                }
                /* A hunk: this change, every change within 2*context of the last, and context around. */
                first = i > context ? i - context : 0;
                last = i;
                for (size_t k = i; k < n_ops && k <= last + 2 * context; k++)
                        if (ops[k].kind != ' ')
                                last = k;
                last = last + context < n_ops - 1 ? last + context : n_ops - 1;
                a_start = ops[first].a;
                b_start = ops[first].b;
                for (size_t k = first; k <= last; k++) {
                        a_count += ops[k].kind != '+';
                        b_count += ops[k].kind != '-';
                }
                strbuf_printf(&out, "@@ -%zu,%zu +%zu,%zu @@\n", a_count ? a_start + 1 : a_start, a_count,
                              b_count ? b_start + 1 : b_start, b_count);
                for (size_t k = first; k <= last; k++) {
                        const struct lines *src = ops[k].kind == '+' ? &b : &a;
                        size_t idx = ops[k].kind == '+' ? ops[k].b : ops[k].a;

                        strbuf_printf(&out, "%c%.*s\n", ops[k].kind, (int)src->len[idx], src->start[idx]);
                }
                i = last + 1;
        }
        free(ops);
        free(a.start);
        free(a.len);
        free(b.start);
        free(b.len);
        if (r < 0) {
                free(out.s);
                return r;
        }
        return strbuf_finish(&out, ret);
}
