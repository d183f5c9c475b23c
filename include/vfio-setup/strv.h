/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A growable list of owned strings. A zeroed struct is an empty list. */
struct strv {
        char **v;
        size_t n;
        size_t cap;
};

int strv_push(struct strv *l, const char *s);
int strv_pushf(struct strv *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes ownership of s, also on failure. */
int strv_consume(struct strv *l, char *s);
bool strv_contains(const struct strv *l, const char *s);
/* Removes every copy of s; -ENOENT when there was none. */
int strv_remove(struct strv *l, const char *s);
/* Appends the strings of from that into does not hold yet. */
int strv_merge(struct strv *into, const struct strv *from);
void strv_sort(struct strv *l);
/* Sorts and drops duplicates. */
void strv_uniq(struct strv *l);
/* Joins with sep into a new string; "" for an empty list. NULL on ENOMEM. */
char *strv_join(const struct strv *l, const char *sep);
void strv_free(struct strv *l);

/* Small string helpers shared by the parsers. */
char *strip(char *s);
bool startswith(const char *s, const char *prefix);
/* Exactly n (at most 8) hexadecimal digits, either case: their value. */
bool hex_n(const char *s, size_t n, unsigned *ret);
