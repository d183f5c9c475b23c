/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/strbuf.h"

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
        va_list ap;
        char *piece, *grown;
        int n;

        if (b->err)
                return;
        va_start(ap, fmt);
        n = vasprintf(&piece, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->err = -ENOMEM;
                return;
        }
        grown = realloc(b->s, b->len + (size_t)n + 1);
        if (!grown) {
                free(piece);
                b->err = -ENOMEM;
                return;
        }
        memcpy(grown + b->len, piece, (size_t)n + 1);
        b->s = grown;
        b->len += (size_t)n;
        free(piece);
}

int strbuf_finish(struct strbuf *b, char **ret)
{
        int r = b->err;

        if (r == 0 && !b->s && !(b->s = strdup("")))
                r = -ENOMEM;
        if (r < 0)
                free(b->s);
        else
                *ret = b->s;
        *b = (struct strbuf){ 0 };
        return r;
}
