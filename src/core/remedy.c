/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/remedy.h"
#include "vfio-setup/strbuf.h"

#define REMEDY_ROW(name, fact) { #name, fact },
static const struct {
        const char *name;
        bool fact;
} remedies[_REMEDY_MAX] = { REMEDY_LIST(REMEDY_ROW) };
#undef REMEDY_ROW

static int lookup(const char *name, size_t len, enum remedy *ret)
{
        for (size_t i = 0; i < _REMEDY_MAX; i++)
                if (strlen(remedies[i].name) == len && strncmp(remedies[i].name, name, len) == 0) {
                        *ret = (enum remedy)i;
                        return 0;
                }
        return -EINVAL;
}

/* Appends words with its "%s" replaced by fact. */
static void put_words(struct strbuf *b, const char *words, const char *fact, size_t fact_len)
{
        const char *s = strstr(words, "%s");

        if (!s || !fact) {
                strbuf_printf(b, "%s", words);
                return;
        }
        strbuf_printf(b, "%.*s%.*s%s", (int)(s - words), words, (int)fact_len, fact, s + 2);
}

int remedy_render(const char *text, const char *const words[_REMEDY_MAX], char **ret)
{
        struct strbuf b = { 0 };

        for (const char *p = text; *p;) {
                const char *mark = strchr(p, '\x1e'), *name, *end, *fact = NULL;
                enum remedy code;

                if (!mark) {
                        strbuf_printf(&b, "%s", p);
                        break;
                }
                strbuf_printf(&b, "%.*s", (int)(mark - p), p);
                name = mark + 1;
                end = name + strcspn(name, "\x1d\x1f");
                if (!*end || lookup(name, (size_t)(end - name), &code) < 0)
                        goto invalid;
                if (*end == '\x1d') {
                        fact = end + 1;
                        end = strchr(fact, '\x1f');
                        if (!end)
                                goto invalid;
                }
                if (!fact != !remedies[code].fact)
                        goto invalid;
                put_words(&b, words[code], fact, fact ? (size_t)(end - fact) : 0);
                p = end + 1;
        }
        return strbuf_finish(&b, ret);
invalid:
        free(b.s);
        return -EINVAL;
}

int remedy_render_in_place(char **text, const char *const words[_REMEDY_MAX])
{
        char *out;
        int r;

        if (!*text || !strchr(*text, '\x1e'))
                return 0;
        r = remedy_render(*text, words, &out);
        if (r < 0)
                return r;
        free(*text);
        *text = out;
        return 0;
}

int remedy_render_strv(struct strv *l, const char *const words[_REMEDY_MAX])
{
        for (size_t i = 0; i < l->n; i++) {
                int r = remedy_render_in_place(&l->v[i], words);

                if (r < 0)
                        return r;
        }
        return 0;
}

int remedy_words_check(const char *const words[_REMEDY_MAX], const char **ret_name)
{
        for (size_t i = 0; i < _REMEDY_MAX; i++) {
                const char *pct = words[i] ? strchr(words[i], '%') : NULL;
                bool one_s = pct && pct[1] == 's' && !strchr(pct + 2, '%');

                if (!words[i] || (pct && !(remedies[i].fact && one_s))) {
                        *ret_name = remedies[i].name;
                        return -EINVAL;
                }
        }
        return 0;
}
