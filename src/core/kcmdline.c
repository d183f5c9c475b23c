/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/kcmdline.h"
#include "vfio-setup/words.h"

int kcmdline_split(const char *line, struct strv *ret)
{
        struct strv tokens = { 0 };
        struct words w;
        int r;

        r = words_parse(line, WORDS_KERNEL, &w);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < w.n; i++)
                r = strv_consume(&tokens, words_get(&w, i));
        words_free(&w);
        if (r < 0) {
                strv_free(&tokens);
                return r;
        }
        *ret = tokens;
        return 0;
}

static char *unquote(const char *s, size_t len)
{
        char *out = malloc(len + 1), *w = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++)
                if (s[i] != '"')
                        *w++ = s[i];
        *w = '\0';
        return out;
}

int kcmdline_parse_token(const char *token, char **ret_key, char **ret_value)
{
        const char *eq = NULL;
        bool quoted = false;
        char *key, *value = NULL;

        /* The first '=' outside quotes separates key and value. */
        for (const char *p = token; *p; p++) {
                if (*p == '"')
                        quoted = !quoted;
                else if (*p == '=' && !quoted) {
                        eq = p;
                        break;
                }
        }
        key = unquote(token, eq ? (size_t)(eq - token) : strlen(token));
        if (!key)
                return -ENOMEM;
        if (eq) {
                value = unquote(eq + 1, strlen(eq + 1));
                if (!value) {
                        free(key);
                        return -ENOMEM;
                }
        }
        *ret_key = key;
        *ret_value = value;
        return 0;
}

bool kcmdline_key_equal(const char *a, const char *b)
{
        for (;; a++, b++) {
                char ca = *a == '-' ? '_' : *a, cb = *b == '-' ? '_' : *b;

                if (ca != cb)
                        return false;
                if (!ca)
                        return true;
        }
}

static bool in_list(const char *value, const char *option)
{
        size_t n = strlen(option);

        for (const char *p = value; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
                if (strncmp(p, option, n) == 0 && (p[n] == ',' || p[n] == '\0'))
                        return true;
        return false;
}

bool kcmdline_has_option(const struct strv *tokens, const char *key, const char *option)
{
        bool found = false;

        for (size_t i = 0; i < tokens->n && !found; i++) {
                char *k, *v;

                if (kcmdline_parse_token(tokens->v[i], &k, &v) < 0)
                        continue;
                found = kcmdline_key_equal(k, key) && (!option || (v && in_list(v, option)));
                free(k);
                free(v);
        }
        return found;
}

bool kcmdline_excludes_igpu(const struct strv *tokens)
{
        return kcmdline_has_option(tokens, "intel_iommu", "igfx_off") ||
               kcmdline_has_option(tokens, "intel_iommu", "intgpu_off");
}

size_t kcmdline_end(const struct words *w)
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

bool kcmdline_key_merged(const char *key)
{
        for (size_t i = 0; i < sizeof(merged_lists) / sizeof(merged_lists[0]); i++)
                if (kcmdline_key_equal(key, merged_lists[i]))
                        return true;
        return false;
}

bool kcmdline_list_has(const char *list, const char *item, size_t len)
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

                if (n && !kcmdline_list_has(list ? list : "", p, n))
                        return false;
                p += n + (p[n] == ',');
        }
        return true;
}

bool kcmdline_value_equal(const char *key, const char *a, const char *b)
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

int kcmdline_word_matches(const struct words *w, size_t i, const char *key, const char *value)
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
            (!value || (kcmdline_key_merged(key) ? list_has_all(v, value) : kcmdline_value_equal(key, v, value)));
        free(k);
        free(v);
        return r;
}

bool kcmdline_has(const char *line, const char *key, const char *value)
{
        struct words w;
        bool found = false;

        if (words_parse(line, WORDS_KERNEL, &w) < 0)
                return false;
        for (size_t i = 0; i < kcmdline_end(&w) && !found; i++)
                found = kcmdline_word_matches(&w, i, key, value) == 1;
        words_free(&w);
        return found;
}
