/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/kcmdline.h"

int kcmdline_split(const char *line, struct strv *ret)
{
        struct strv tokens = { 0 };
        const char *p = line;
        int r;

        for (;;) {
                const char *start;
                bool quoted = false;

                while (isspace((unsigned char)*p))
                        p++;
                if (!*p)
                        break;
                start = p;
                /* An unterminated quote runs to the end of the line, as in the kernel. */
                while (*p && (quoted || !isspace((unsigned char)*p))) {
                        if (*p == '"')
                                quoted = !quoted;
                        p++;
                }
                r = strv_consume(&tokens, strndup(start, (size_t)(p - start)));
                if (r < 0) {
                        strv_free(&tokens);
                        return r;
                }
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
