/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/*
 * A string of white-space separated words (a kernel command line, the inside
 * of a shell array), edited without touching what is not edited: words keep
 * their spelling and order, the white space between them is kept, and
 * removing a word that was inserted gives back the original byte for byte.
 * Quotes group words as the kernel (double quotes only) or the shell does.
 */
/*
 * KERNEL: double quotes group (lib/cmdline.c).  SHELL: either quote groups (an array's
 * words).  FIELDS: white space alone splits, quotes are letters (a string variable's value,
 * split as the shell splits an unquoted expansion, or as read -a does).
 */
enum words_syntax { WORDS_KERNEL, WORDS_SHELL, WORDS_FIELDS };

struct words {
        char *text;
        enum words_syntax syntax;
        size_t n;
        struct word_span {
                size_t start, end;      /* byte offsets of the word in text */
        } *spans;
};

int words_parse(const char *text, enum words_syntax syntax, struct words *ret);
void words_free(struct words *w);

/* A newly allocated copy of word i. */
char *words_get(const struct words *w, size_t i);
int words_replace(struct words *w, size_t i, const char *word);
int words_remove(struct words *w, size_t i);
/* Inserts before word i; i == n appends after the last word. */
int words_insert(struct words *w, size_t i, const char *word);
