/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/words.h"

static int scan(struct words *w)
{
        const char *t = w->text;
        size_t pos = 0, cap = 0;

        free(w->spans);
        w->spans = NULL;
        w->n = 0;
        for (;;) {
                size_t start;
                char quote = 0;

                while (t[pos] && isspace((unsigned char)t[pos]))
                        pos++;
                if (!t[pos])
                        return 0;
                start = pos;
                while (t[pos] && (quote || !isspace((unsigned char)t[pos]))) {
                        if (!quote && ((t[pos] == '"' && w->syntax != WORDS_FIELDS) ||
                                       (t[pos] == '\'' && w->syntax == WORDS_SHELL)))
                                quote = t[pos];
                        else if (quote && t[pos] == quote)
                                quote = 0;
                        pos++;
                }
                if (w->n == cap) {
                        struct word_span *s = realloc(w->spans, (cap = cap ? cap * 2 : 8) * sizeof(*s));
                        if (!s)
                                return -ENOMEM;
                        w->spans = s;
                }
                w->spans[w->n++] = (struct word_span){ start, pos };
        }
}

int words_parse(const char *text, enum words_syntax syntax, struct words *ret)
{
        struct words w = { .text = strdup(text), .syntax = syntax };
        int r;

        if (!w.text)
                return -ENOMEM;
        r = scan(&w);
        if (r < 0) {
                words_free(&w);
                return r;
        }
        *ret = w;
        return 0;
}

void words_free(struct words *w)
{
        free(w->text);
        free(w->spans);
        *w = (struct words){ 0 };
}

char *words_get(const struct words *w, size_t i)
{
        return strndup(w->text + w->spans[i].start, w->spans[i].end - w->spans[i].start);
}

/* Replaces text[start, end) with repl and rescans. */
static int splice(struct words *w, size_t start, size_t end, const char *repl)
{
        size_t len = strlen(w->text), rl = strlen(repl);
        char *t = malloc(len - (end - start) + rl + 1);

        if (!t)
                return -ENOMEM;
        memcpy(t, w->text, start);
        memcpy(t + start, repl, rl);
        memcpy(t + start + rl, w->text + end, len - end + 1);
        free(w->text);
        w->text = t;
        return scan(w);
}

int words_replace(struct words *w, size_t i, const char *word)
{
        return splice(w, w->spans[i].start, w->spans[i].end, word);
}

/*
 * The white space that goes with a word: the space after it when a word
 * follows, else the space before it.  That is the space words_insert adds,
 * so removing an inserted word gives back the text as it was.
 */
int words_remove(struct words *w, size_t i)
{
        size_t start = w->spans[i].start, end = w->spans[i].end;

        if (i + 1 < w->n)
                end = w->spans[i + 1].start;
        else if (i > 0)
                start = w->spans[i - 1].end;
        return splice(w, start, end, "");
}

int words_insert(struct words *w, size_t i, const char *word)
{
        char *piece;
        size_t at;
        int r;

        if (w->n == 0) {
                /* After any leading white space, so that removal gives it back. */
                at = strspn(w->text, " \t\n\r\f\v");
                return splice(w, at, at, word);
        }
        if (i >= w->n) {
                at = w->spans[w->n - 1].end;
                piece = malloc(strlen(word) + 2);
                if (!piece)
                        return -ENOMEM;
                piece[0] = ' ';
                strcpy(piece + 1, word);
        } else {
                at = w->spans[i].start;
                piece = malloc(strlen(word) + 2);
                if (!piece)
                        return -ENOMEM;
                strcpy(piece, word);
                strcat(piece, " ");
        }
        r = splice(w, at, at, piece);
        free(piece);
        return r;
}
