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

/* Index of "--", or n: the kernel's parameters end there. */
static size_t kernel_end(const struct words *w)
{
        for (size_t i = 0; i < w->n; i++)
                if (w->spans[i].end - w->spans[i].start == 2 && strncmp(w->text + w->spans[i].start, "--", 2) == 0)
                        return i;
        return w->n;
}

/* Parameters whose value is a comma-separated set: the same ids in another order are the same value. */
static const char *const set_valued[] = { "vfio_pci.ids" };

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The members of a comma-separated value, sorted and joined again. */
static char *canonical_set(const char *value)
{
        struct strv parts = { 0 };
        char *copy = strdup(value), *save = NULL, *out = NULL;

        if (!copy)
                return NULL;
        for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
                if (strv_push(&parts, p) < 0)
                        goto out;
        if (parts.n > 1)
                qsort(parts.v, parts.n, sizeof(*parts.v), cmp_str);
        out = strv_join(&parts, ",");
out:
        strv_free(&parts);
        free(copy);
        return out;
}

/*
 * Parameters whose comma-separated value is a list others add to as well (the kernel
 * takes every occurrence): vfio-setup adds its items to the list there and takes only
 * them out again, rather than replacing the user's.
 */
static const char *const merged_lists[] = {
        "initcall_blacklist",
        /* dracut.cmdline(7): rd.driver.pre=<drivername>[,<drivername>,...], and rd.driver.blacklist alike. */
        "rd.driver.pre",
        "rd.driver.blacklist",
};

bool cmdline_key_merged(const char *key)
{
        for (size_t i = 0; i < sizeof(merged_lists) / sizeof(merged_lists[0]); i++)
                if (kcmdline_key_equal(key, merged_lists[i]))
                        return true;
        return false;
}

static bool list_has(const char *list, const char *item, size_t len)
{
        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, ",");

                if (n == len && strncmp(p, item, len) == 0)
                        return true;
                p += n + (p[n] == ',');
        }
        return false;
}

/* Whether every item of items is in list. */
static bool list_has_all(const char *list, const char *items)
{
        for (const char *p = items; *p;) {
                size_t n = strcspn(p, ",");

                if (n && !list_has(list ? list : "", p, n))
                        return false;
                p += n + (p[n] == ',');
        }
        return true;
}

/* list with items appended (add) or taken out (!add), in the list's order; NULL on ENOMEM. */
static char *list_change(const char *list, const char *items, bool add)
{
        struct strv out = { 0 };
        char *text = NULL;
        int r = 0;

        for (const char *p = list ? list : ""; *p && r >= 0;) {
                size_t n = strcspn(p, ",");
                char *item = strndup(p, n);

                r = !item ? -ENOMEM : n && (add || !list_has(items, p, n)) ? strv_consume(&out, item) : (free(item), 0);
                p += n + (p[n] == ',');
        }
        for (const char *p = items; add && *p && r >= 0;) {
                size_t n = strcspn(p, ",");
                char *item = strndup(p, n);

                r = !item ? -ENOMEM : n && !list_has(list ? list : "", p, n) ? strv_consume(&out, item) : (free(item), 0);
                p += n + (p[n] == ',');
        }
        if (r >= 0)
                text = strv_join(&out, ",");
        strv_free(&out);
        return text;
}

bool cmdline_value_equal(const char *key, const char *a, const char *b)
{
        char *ca, *cb;
        bool eq;

        if (!a || !b)
                return a == b;
        if (strcmp(a, b) == 0)
                return true;
        for (size_t i = 0; i < sizeof(set_valued) / sizeof(set_valued[0]); i++)
                if (kcmdline_key_equal(key, set_valued[i])) {
                        ca = canonical_set(a);
                        cb = canonical_set(b);
                        eq = ca && cb && strcmp(ca, cb) == 0;
                        free(ca);
                        free(cb);
                        return eq;
                }
        return false;
}

/* 1 when word i is key (with value, if given), 0 when not, negative on failure. */
static int matches(const struct words *w, size_t i, const char *key, const char *value)
{
        char *word = words_get(w, i), *k, *v;
        int r;

        if (!word)
                return -ENOMEM;
        r = kcmdline_parse_token(word, &k, &v);
        free(word);
        if (r < 0)
                return r;
        r = kcmdline_key_equal(k, key) &&
            (!value || (cmdline_key_merged(key) ? list_has_all(v, value) : cmdline_value_equal(key, v, value)));
        free(k);
        free(v);
        return r;
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
        if (r >= 0 && !cmdline_value_equal(key, v, value)) {
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

        if (!op->value || !cmdline_key_merged(op->key))
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
        size_t first = kernel_end(w);
        int r;

        for (size_t i = 0; i < kernel_end(w); i++) {
                r = matches(w, i, op->key, op->value);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (first == kernel_end(w) && (r = matches(w, i, op->key, NULL)) != 0) {
                        if (r < 0)
                                return r;
                        first = i;
                }
        }
        if (first == kernel_end(w))
                return op->kind == CMDLINE_REPLACE ? 0 : 1;
        return replace_value(w, first, op, added, removed);
}

static int set(struct words *w, const struct cmdline_op *op, struct strv *added, struct strv *removed)
{
        bool found = false;
        char *token;
        int r;

        if (op->value && cmdline_key_merged(op->key) && (r = set_merged(w, op, added, removed)) <= 0)
                return r;
        for (size_t i = 0; i < kernel_end(w);) {
                r = matches(w, i, op->key, NULL);
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
        r = words_insert(w, kernel_end(w), token);
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

        for (size_t i = 0; i < kernel_end(w) && r >= 0;) {
                int m = matches(w, i, op->key, op->value);

                if (m < 0)
                        return m;
                if (m == 0) {
                        i++;
                        continue;
                }
                if (op->value && cmdline_key_merged(op->key)) {
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

bool cmdline_has(const char *line, const char *key, const char *value)
{
        struct words w;
        bool found = false;

        if (words_parse(line, WORDS_KERNEL, &w) < 0)
                return false;
        for (size_t i = 0; i < kernel_end(&w) && !found; i++)
                found = matches(&w, i, key, value) == 1;
        words_free(&w);
        return found;
}
