/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/cpulist.h"
#include "vfio-setup/strbuf.h"

/* Far above any machine's CPU count, low enough that a corrupt file cannot ask for gigabytes. */
#define CPU_MAX 65535u

static int number(const char **p, unsigned *ret)
{
        unsigned long v;
        char *end;

        if (!isdigit((unsigned char)**p))
                return -EINVAL;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (errno || v > CPU_MAX)
                return -EINVAL;
        *p = end;
        *ret = (unsigned)v;
        return 0;
}

static int cmp_unsigned(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? -1 : x > y;
}

void cpulist_sort(unsigned *cpus, size_t n)
{
        if (n > 1)
                qsort(cpus, n, sizeof(*cpus), cmp_unsigned);
}

int cpulist_parse(const char *text, unsigned **ret, size_t *ret_n)
{
        unsigned *cpus = NULL;
        size_t n = 0, cap = 0, out = 0;
        const char *p = text;

        while (*p == ' ' || *p == '\t')
                p++;
        while (*p && *p != '\n') {
                unsigned lo, hi;

                if (number(&p, &lo) < 0)
                        goto invalid;
                hi = lo;
                if (*p == '-') {
                        p++;
                        if (number(&p, &hi) < 0 || hi < lo)
                                goto invalid;
                }
                for (unsigned c = lo; c <= hi; c++) {
                        if (n == cap) {
                                unsigned *grown = reallocarray(cpus, cap ? cap * 2 : 16, sizeof(*cpus));

                                if (!grown) {
                                        free(cpus);
                                        return -ENOMEM;
                                }
                                cpus = grown;
                                cap = cap ? cap * 2 : 16;
                        }
                        cpus[n++] = c;
                }
                if (*p == ',')
                        p++;
                else if (*p && *p != '\n')
                        goto invalid;
        }
        cpulist_sort(cpus, n);
        for (size_t i = 0; i < n; i++)
                if (out == 0 || cpus[out - 1] != cpus[i])
                        cpus[out++] = cpus[i];
        *ret = cpus;
        *ret_n = out;
        return 0;
invalid:
        free(cpus);
        return -EINVAL;
}

char *cpulist_format(const unsigned *set, size_t n)
{
        unsigned *cpus = malloc((n ? n : 1) * sizeof(*cpus));
        struct strbuf b = { 0 };
        char *text;

        if (!cpus)
                return NULL;
        if (n)
                memcpy(cpus, set, n * sizeof(*cpus));
        cpulist_sort(cpus, n);
        for (size_t i = 0; i < n;) {
                size_t j = i;

                while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
                        j++;
                if (j == i)
                        strbuf_printf(&b, "%s%u", i ? "," : "", cpus[i]);
                else
                        strbuf_printf(&b, "%s%u-%u", i ? "," : "", cpus[i], cpus[j]);
                i = j + 1;
        }
        free(cpus);
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}
