/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A JSON document written as it goes, in the one style json_finish gives (indented, spaced,
 * "/" not escaped, DEL and C1 characters as \u escapes), for documents too large to hold as
 * json-c objects first: the detection report of a machine with thousands of devices.  Each
 * call names its member's key, or NULL for an array's element and for the document itself.
 * The first failure sticks; jsonw_finish reports it.
 */
struct jsonw {
        char *s;
        size_t len, cap;
        unsigned depth;
        bool empty;           /* the innermost container has no member yet */
        int err;
};

void jsonw_object(struct jsonw *w, const char *key);
void jsonw_array(struct jsonw *w, const char *key);
void jsonw_end_object(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
/* NULL is written as null. */
void jsonw_string(struct jsonw *w, const char *key, const char *value);
void jsonw_bool(struct jsonw *w, const char *key, bool value);
void jsonw_int(struct jsonw *w, const char *key, int64_t value);
void jsonw_null(struct jsonw *w, const char *key);
/* The text (the caller's) or the first failure; the writer is empty afterwards. */
int jsonw_finish(struct jsonw *w, char **ret);
