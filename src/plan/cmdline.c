/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/cmdline.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/strbuf.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/words.h"

/* list with items appended (add) or taken out (!add), in the list's order; NULL on ENOMEM. */
static char *list_change(const char *list, const char *items, bool add)
{
        struct strv out = { 0 };
        char *text = NULL;
        int r = 0;

        for (const char *p = list ? list : ""; *p && r >= 0;) {
                size_t n = strcspn(p, ",");
                char *item = strndup(p, n);

                r = !item ? -ENOMEM : n && (add || !kcmdline_list_has(items, p, n)) ? strv_consume(&out, item) : (free(item), 0);
                p += n + (p[n] == ',');
        }
        for (const char *p = items; add && *p && r >= 0;) {
                size_t n = strcspn(p, ",");
                char *item = strndup(p, n);

                r = !item ? -ENOMEM : n && !kcmdline_list_has(list ? list : "", p, n) ? strv_consume(&out, item) : (free(item), 0);
                p += n + (p[n] == ',');
        }
        if (r >= 0)
                text = strv_join(&out, ",");
        strv_free(&out);
        return text;
}

static int note(struct strv *l, const struct words *w, size_t i)
{
        return l ? strv_consume(l, words_get(w, i)) : 0;
}

/* NULL on ENOMEM, and for a value the kernel's command line cannot hold (escape_kcmdline_value). */
static char *make_token(const char *key, const char *value)
{
        struct strbuf b = { 0 };
        char *token;

        if (!value)
                return strdup(key);
        strbuf_printf(&b, "%s=", key);
        if (escape_kcmdline_value(&b, value) < 0) {
                free(b.s);
                return NULL;
        }
        return strbuf_finish(&b, &token) < 0 ? NULL : token;
}

/* Word i gets value, keeping the user's spelling of the name; the tokens that went and came are noted. */
static int set_value(struct words *w, size_t i, const char *key, const char *value, struct strv *added,
                     struct strv *removed)
{
        char *old = words_get(w, i), *k = NULL, *v = NULL, *token = NULL;
        int r;

        if (!old)
                return -ENOMEM;
        r = kcmdline_parse_token(old, &k, &v);
        if (r >= 0 && !kcmdline_value_equal(key, v, value)) {
                token = make_token(k, value);
                r = token ? 0 : -ENOMEM;
                if (r >= 0 && removed)
                        r = strv_push(removed, old);
                if (r >= 0 && added)
                        r = strv_push(added, token);
                if (r >= 0)
                        r = words_replace(w, i, token);
        }
        free(old);
        free(k);
        free(v);
        free(token);
        return r;
}

/* Word i's shared list, changed: the items added, or taken out (allocated; "" when none is left). */
static int list_of(const struct words *w, size_t i, const char *items, bool add, char **ret)
{
        char *word = words_get(w, i), *k = NULL, *v = NULL;
        int r;

        if (!word)
                return -ENOMEM;
        r = kcmdline_parse_token(word, &k, &v);
        if (r >= 0 && !(*ret = list_change(v, items, add)))
                r = -ENOMEM;
        free(word);
        free(k);
        free(v);
        return r;
}

/* Gives word i the wanted value; a shared list gains the wanted items instead. */
static int replace_value(struct words *w, size_t i, const struct cmdline_op *op, struct strv *added,
                         struct strv *removed)
{
        char *list = NULL;
        int r;

        if (!op->value || !kcmdline_key_merged(op->key))
                return set_value(w, i, op->key, op->value, added, removed);
        r = list_of(w, i, op->value, true, &list);
        if (r >= 0)
                r = set_value(w, i, op->key, list, added, removed);
        free(list);
        return r;
}

/*
 * A shared list: nothing to do when an occurrence holds the items already, else they join
 * the first occurrence.  1 when the key is nowhere (SET then adds a token like any other).
 */
static int set_merged(struct words *w, const struct cmdline_op *op, struct strv *added, struct strv *removed)
{
        size_t first = kcmdline_end(w);
        int r;

        for (size_t i = 0; i < kcmdline_end(w); i++) {
                r = kcmdline_word_matches(w, i, op->key, op->value);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (first == kcmdline_end(w) && (r = kcmdline_word_matches(w, i, op->key, NULL)) != 0) {
                        if (r < 0)
                                return r;
                        first = i;
                }
        }
        if (first == kcmdline_end(w))
                return op->kind == CMDLINE_REPLACE ? 0 : 1;
        return replace_value(w, first, op, added, removed);
}

static int set(struct words *w, const struct cmdline_op *op, struct strv *added, struct strv *removed)
{
        bool found = false;
        char *token;
        int r;

        if (op->value && kcmdline_key_merged(op->key) && (r = set_merged(w, op, added, removed)) <= 0)
                return r;
        for (size_t i = 0; i < kcmdline_end(w);) {
                r = kcmdline_word_matches(w, i, op->key, NULL);
                if (r < 0)
                        return r;
                if (r == 0) {
                        i++;
                        continue;
                }
                if (found) {
                        /* A second value would fight the first. */
                        if ((r = note(removed, w, i)) < 0 || (r = words_remove(w, i)) < 0)
                                return r;
                        continue;
                }
                found = true;
                if ((r = replace_value(w, i, op, added, removed)) < 0)
                        return r;
                i++;
        }
        if (found || op->kind == CMDLINE_REPLACE)
                return 0;
        token = make_token(op->key, op->value);
        if (!token)
                return -ENOMEM;
        r = words_insert(w, kcmdline_end(w), token);
        if (r >= 0 && added)
                r = strv_push(added, token);
        free(token);
        return r;
}

/* Takes the items out of a merged list's token i; the token goes when nothing is left. */
static int drop_items(struct words *w, size_t i, const struct cmdline_op *op, struct strv *added, struct strv *removed,
                      bool *ret_gone)
{
        char *rest = NULL;
        int r;

        r = list_of(w, i, op->value, false, &rest);
        *ret_gone = r >= 0 && !*rest;
        if (r >= 0 && *rest)
                r = set_value(w, i, op->key, rest, added, removed);
        else if (r >= 0 && (r = note(removed, w, i)) >= 0)
                r = words_remove(w, i);
        free(rest);
        return r;
}

static int drop(struct words *w, const struct cmdline_op *op, struct strv *added, struct strv *removed)
{
        int r = 0;

        for (size_t i = 0; i < kcmdline_end(w) && r >= 0;) {
                int m = kcmdline_word_matches(w, i, op->key, op->value);

                if (m < 0)
                        return m;
                if (m == 0) {
                        i++;
                        continue;
                }
                if (op->value && kcmdline_key_merged(op->key)) {
                        bool gone = false;

                        r = drop_items(w, i, op, added, removed, &gone);
                        i += !gone;
                        continue;
                }
                r = note(removed, w, i);
                if (r >= 0)
                        r = words_remove(w, i);
        }
        return r;
}

int cmdline_edit(const char *line, const struct cmdline_op *ops, size_t n_ops, char **ret, struct strv *added,
                 struct strv *removed)
{
        struct words w;
        int r;

        r = words_parse(line, WORDS_KERNEL, &w);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_ops && r >= 0; i++)
                r = ops[i].kind == CMDLINE_DROP ? drop(&w, &ops[i], added, removed) : set(&w, &ops[i], added, removed);
        if (r >= 0) {
                *ret = w.text;
                w.text = NULL;
        }
        words_free(&w);
        return r;
}
