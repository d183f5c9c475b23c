/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/shellvar.h"

static int refuse(const struct textfile *f, size_t line, const char *why, char **ret_reason)
{
        if (asprintf(ret_reason, "/%s:%zu: %s", f->path, line + 1, why) < 0)
                return -ENOMEM;
        return -VS_E_CONFIG;
}

/* Offset just after "KEY=" when the line assigns key, else 0. */
static size_t assigns(const char *text, const char *key)
{
        const char *p = text;
        size_t kl = strlen(key);

        while (*p == ' ' || *p == '\t')
                p++;
        if (strncmp(p, "export ", 7) == 0)
                p += 7;
        while (*p == ' ' || *p == '\t')
                p++;
        if (strncmp(p, key, kl) != 0 || p[kl] != '=')
                return 0;
        return (size_t)(p - text) + kl + 1;
}

/* After a value only white space or a comment may follow. */
static bool clean_tail(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return *p == '\0' || *p == '#';
}

/* What the shell would read differently inside each kind of quoting. */
static const char *const special[] = {
        [0] = " \t\n\"'$`\\;&|<>()#*?[]~{}",
        ['"'] = "\"$`\\",
        ['\''] = "'",
        ['('] = "$`\\()",
};

static int parse_scalar(const struct textfile *f, size_t i, size_t at, struct shell_value *v, char **ret_reason)
{
        const char *t = f->lines[i].text, *p = t + at, *close;

        if (*p == '"') {
                close = strchr(p + 1, '"');
                if (!close)
                        return refuse(f, i, "the quote is not closed on this line", ret_reason);
                if (strpbrk(p + 1, "$`\\") && strpbrk(p + 1, "$`\\") < close)
                        return refuse(f, i, "the value is built from other variables or commands; edit it by hand",
                                      ret_reason);
        } else if (*p == '\'') {
                close = strchr(p + 1, '\'');
                if (!close)
                        return refuse(f, i, "the quote is not closed on this line", ret_reason);
        } else {
                close = p + strcspn(p, " \t#;");
                if (strpbrk(p, "$`\\\"'(") && strpbrk(p, "$`\\\"'(") < close)
                        return refuse(f, i, "the value is built from other variables or commands; edit it by hand",
                                      ret_reason);
                if (strpbrk(p, special[0]) && strpbrk(p, special[0]) < close)
                        return refuse(f, i, "the bare value holds characters the shell reads specially; quote it",
                                      ret_reason);
                *v = (struct shell_value){ i, at, (size_t)(close - t), i, (size_t)(close - t), 0 };
                return clean_tail(close) ? 0 : refuse(f, i, "more follows the value than vfio-setup understands",
                                                       ret_reason);
        }
        if (!clean_tail(close + 1))
                return refuse(f, i, "more follows the value than vfio-setup understands", ret_reason);
        *v = (struct shell_value){ i, at + 1, (size_t)(close - t), i, (size_t)(close - t), *p };
        return 0;
}

int shell_find(const struct textfile *f, const char *key, struct shell_value *ret, bool *found, char **ret_reason)
{
        struct shell_value v;
        bool any = false;
        int r;

        for (size_t i = 0; i < f->n; i++) {
                size_t at = assigns(f->lines[i].text, key);

                if (!at)
                        continue;
                r = parse_scalar(f, i, at, &v, ret_reason);
                if (r < 0)
                        return r;
                any = true;
        }
        *found = any;
        if (any)
                *ret = v;
        return 0;
}

/*
 * The array's ')' outside quotes, from line i at offset at on, perhaps on a
 * later line (its index in *ret_last); NULL when there is none, with *ret_quote
 * set when a quote was left open, which the shell would refuse to read.
 */
static const char *array_end(const struct textfile *f, size_t i, size_t at, char *ret_quote, size_t *ret_last)
{
        char quote = 0;

        for (size_t l = i; l < f->n; l++) {
                const char *p = f->lines[l].text + (l == i ? at : 0);

                for (; *p; p++)
                        if (quote && *p == quote)
                                quote = 0;
                        else if (!quote && (*p == '"' || *p == '\''))
                                quote = *p;
                        else if (!quote && *p == ')') {
                                *ret_quote = 0;
                                *ret_last = l;
                                return p;
                        }
        }
        *ret_quote = quote;
        *ret_last = f->n;
        return NULL;
}

int shell_find_list(const struct textfile *f, const char *key, struct shell_value *ret, bool *found,
                    char **ret_reason)
{
        struct shell_value v;
        bool any = false;

        for (size_t i = 0; i < f->n; i++) {
                size_t at = assigns(f->lines[i].text, key), last;
                const char *t = f->lines[i].text, *close;
                char quote;

                if (!at)
                        continue;
                if (t[at] == '"' || t[at] == '\'') {
                        int r = parse_scalar(f, i, at, &v, ret_reason);
                        if (r < 0)
                                return r;
                        any = true;
                        continue;
                }
                if (t[at] != '(')
                        return refuse(f, i, "expected a list: KEY=( ... ) or KEY=\"...\"", ret_reason);
                if (strpbrk(t + at, "$`\\"))
                        return refuse(f, i, "the array is built from other variables or commands; edit it by hand",
                                      ret_reason);
                close = array_end(f, i, at + 1, &quote, &last);
                if (quote)
                        return refuse(f, i, "a quote in the array is not closed", ret_reason);
                if (!close)
                        return refuse(f, i, "the array's ')' is missing", ret_reason);
                if (!clean_tail(close + 1))
                        return refuse(f, last, "more follows the array than vfio-setup understands", ret_reason);
                v = (struct shell_value){ i, at + 1, last == i ? (size_t)(close - t) : strlen(t), last,
                                          (size_t)(close - f->lines[last].text), '(' };
                any = true;
                i = last;
        }
        *found = any;
        if (any)
                *ret = v;
        return 0;
}

char *shell_value_text(const struct textfile *f, const struct shell_value *v)
{
        return strndup(f->lines[v->line].text + v->start, v->end - v->start);
}

int shell_value_set(struct textfile *f, const struct shell_value *v, const char *text)
{
        const char *old = f->lines[v->line].text, *open = "", *close = "";
        char *line;
        int r;

        /* A bare value that now needs quoting gets double quotes, or the shell would split it. */
        if (v->quote == 0 && text[strcspn(text, special[0])]) {
                open = close = text[strcspn(text, special['"'])] ? "'" : "\"";
                if (*open == '\'' && strchr(text, '\''))
                        return -VS_E_CONFIG;
        } else if (text[strcspn(text, special[(unsigned char)v->quote])])
                return -VS_E_CONFIG;
        if (asprintf(&line, "%.*s%s%s%s%s", (int)v->start, old, open, text, close, old + v->end) < 0)
                return -ENOMEM;
        r = textfile_set(f, v->line, line);
        free(line);
        return r;
}
