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

int cpulist_parse(const char *text, unsigned limit, unsigned **ret, size_t *ret_n)
{
        unsigned char *seen;
        unsigned *cpus;
        size_t n = 0;
        const char *p = text;

        if (limit > CPU_MAX + 1)
                limit = CPU_MAX + 1;
        /* One bit a CPU the machine has: a list of any length costs its text and the CPU count, no more. */
        seen = calloc(limit / 8 + 1, 1);
        if (!seen)
                return -ENOMEM;
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
                if (hi >= limit)
                        goto invalid;
                for (unsigned c = lo; c <= hi; c++)
                        seen[c / 8] |= (unsigned char)(1u << (c % 8));
                if (*p == ',')
                        p++;
                else if (*p && *p != '\n')
                        goto invalid;
        }
        for (unsigned c = 0; c < limit; c++)
                n += (seen[c / 8] >> (c % 8)) & 1;
        cpus = malloc((n ? n : 1) * sizeof(*cpus));
        if (!cpus) {
                free(seen);
                return -ENOMEM;
        }
        n = 0;
        for (unsigned c = 0; c < limit; c++)
                if ((seen[c / 8] >> (c % 8)) & 1)
                        cpus[n++] = c;
        free(seen);
        *ret = cpus;
        *ret_n = n;
        return 0;
invalid:
        free(seen);
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
