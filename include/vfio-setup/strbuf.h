/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Text built piece by piece; the first failure sticks, so callers check once at the end. */
struct strbuf {
        char *s;
        size_t len;
        int err;
};

void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (owned by the caller) or the error; the buffer is empty afterwards. */
int strbuf_finish(struct strbuf *b, char **ret);
