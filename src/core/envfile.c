/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/envfile.h"

static char *unquote_value(const char *v, size_t len)
{
        char *out = malloc(len + 1), *w = out;
        char quote = 0;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                char c = v[i];

                if (!quote && (c == '"' || c == '\'')) {
                        quote = c;
                        continue;
                }
                if (quote && c == quote) {
                        quote = 0;
                        continue;
                }
                if (c == '\\' && quote != '\'' && i + 1 < len) {
                        *w++ = v[++i];
                        continue;
                }
                if (!quote && (c == ' ' || c == '\t' || c == '#' || c == '\r'))
                        break;
                *w++ = c;
        }
        *w = '\0';
        return out;
}

int env_file_get(const char *content, const char *key, char **ret)
{
        size_t klen = strlen(key);
        char *value = NULL;

        for (const char *line = content; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);

                while (len && (*line == ' ' || *line == '\t'))
                        line++, len--;
                if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
                        /* Like the shell, the last assignment wins. */
                        free(value);
                        value = unquote_value(line + klen + 1, len - klen - 1);
                        if (!value)
                                return -ENOMEM;
                }
                line = end ? end + 1 : NULL;
        }
        *ret = value;
        return 0;
}
