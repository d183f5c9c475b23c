/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/escape.h"
#include "vfio-setup/state.h"
#include "vfio-setup/strbuf.h"

static const struct {
        const char *key;
        size_t offset;
} state_keys[] = {
        { "devices", offsetof(struct tool_state, devices) },
        { "ids", offsetof(struct tool_state, ids) },
        { "params", offsetof(struct tool_state, params) },
        { "modules", offsetof(struct tool_state, modules) },
        { "hooks", offsetof(struct tool_state, hooks) },
        { "created", offsetof(struct tool_state, created) },
        { "dirs", offsetof(struct tool_state, dirs) },
        { "goals", offsetof(struct tool_state, goals) },
        { "looking_glass", offsetof(struct tool_state, looking_glass) },
        { "vm", offsetof(struct tool_state, vm) },
        { "disks", offsetof(struct tool_state, disks) },
        { "single_gpu", offsetof(struct tool_state, single_gpu) },
        { "handover", offsetof(struct tool_state, handover) },
        { "trial", offsetof(struct tool_state, trial) },
};

static struct strv *field(struct tool_state *s, size_t i)
{
        return (struct strv *)((char *)s + state_keys[i].offset);
}

/* Key names are lower-case words: anything else is not a line of this file. */
static bool valid_key(const char *key)
{
        return *key && strspn(key, "abcdefghijklmnopqrstuvwxyz_") == strlen(key);
}

int state_parse(const char *text, struct tool_state *ret, size_t *ret_line)
{
        struct tool_state s = { .present = true };
        char *copy = strdup(text), *line, *next;
        size_t number = 0;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (line = copy; line && r >= 0; line = next) {
                char *eq, *wsave = NULL;
                size_t k;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                number++;
                if (line[0] == '#' || strip(line)[0] == '\0')
                        continue;
                eq = strchr(line, '=');
                if (!eq) {
                        r = -EBADMSG;
                        break;
                }
                *eq = '\0';
                if (!valid_key(line)) {
                        r = -EBADMSG;
                        break;
                }
                for (k = 0; k < sizeof(state_keys) / sizeof(state_keys[0]); k++)
                        if (strcmp(line, state_keys[k].key) == 0)
                                break;
                /* A newer version's key goes back into the file as it came. */
                if (k == sizeof(state_keys) / sizeof(state_keys[0])) {
                        *eq = '=';
                        r = strv_push(&s.unknown, line);
                        continue;
                }
                for (char *w = strtok_r(eq + 1, " \t\r", &wsave); w && r >= 0; w = strtok_r(NULL, " \t\r", &wsave))
                        r = strv_consume(field(&s, k), unescape_state_word(w));
        }
        free(copy);
        if (r < 0) {
                state_free(&s);
                if (r == -EBADMSG && ret_line)
                        *ret_line = number;
                return r;
        }
        *ret = s;
        return 0;
}

/* The words of a line, each escaped so that a blank or newline in a name cannot split it. */
static char *joined_words(const struct strv *l)
{
        struct strbuf b = { 0 };
        char *text;

        for (size_t i = 0; i < l->n; i++) {
                strbuf_printf(&b, "%s", i ? " " : "");
                escape_state_word(&b, l->v[i]);
        }
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}

char *state_format(const struct tool_state *s)
{
        char *out = NULL, *next;

        if (asprintf(&out, "# Written by vfio-setup: what it set up on this machine.\n"
                           "# 'vfio-setup plan --release' removes exactly this; do not edit.\n") < 0)
                return NULL;
        for (size_t k = 0; k < sizeof(state_keys) / sizeof(state_keys[0]); k++) {
                char *joined;

                if (field((struct tool_state *)s, k)->n == 0)
                        continue;
                joined = joined_words(field((struct tool_state *)s, k));
                if (!joined || asprintf(&next, "%s%s=%s\n", out, state_keys[k].key, joined) < 0) {
                        free(joined);
                        free(out);
                        return NULL;
                }
                free(joined);
                free(out);
                out = next;
        }
        for (size_t i = 0; i < s->unknown.n; i++) {
                if (asprintf(&next, "%s%s\n", out, s->unknown.v[i]) < 0) {
                        free(out);
                        return NULL;
                }
                free(out);
                out = next;
        }
        return out;
}

void state_free(struct tool_state *s)
{
        for (size_t k = 0; k < sizeof(state_keys) / sizeof(state_keys[0]); k++)
                strv_free(field(s, k));
        strv_free(&s->unknown);
        s->present = false;
}
