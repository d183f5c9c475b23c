/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

/*
 * booster(1): /etc/booster.yaml "modules_force_load" is a comma-separated
 * list of modules loaded before switching to user space.  An existing list
 * gets the vfio modules in front; a missing key comes with a marker comment
 * so that --release takes both lines away again.
 */
#define CONF "etc/booster.yaml"
#define KEY "modules_force_load:"
#define MARK "# vfio-setup: modules_force_load added for GPU passthrough"

static int split_list(const char *value, struct strv *ret)
{
        char *copy = strdup(value), *save = NULL;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *m = strtok_r(copy, ",", &save); m && r >= 0; m = strtok_r(NULL, ",", &save))
                r = strv_push(ret, strip(m));
        free(copy);
        return r;
}

static int emit_booster(struct plan_ctx *ctx)
{
        struct strv have = { 0 }, next = { 0 };
        struct textfile f = { 0 };
        size_t line = 0;
        bool found = false, changed;
        char *joined, *text;
        int r;

        r = ctx_load(ctx, CONF, &f);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f.n && !found; i++)
                if (startswith(f.lines[i].text, KEY)) {
                        found = true;
                        line = i;
                }
        if (found)
                r = split_list(f.lines[line].text + strlen(KEY), &have);
        for (size_t i = 0; i < ctx->want.modules.n && r >= 0; i++) {
                const char *mod = ctx->want.modules.v[i];

                if (!strv_contains(&have, mod) || strv_contains(&ctx->m->vfio.tool.modules, mod))
                        r = ctx_note_module(ctx, mod);
                if (r >= 0)
                        r = strv_push(&next, mod);
        }
        for (size_t i = 0; i < have.n && r >= 0; i++)
                if (!strv_contains(&next, have.v[i]) && !strv_contains(&ctx->want.drop_modules, have.v[i]))
                        r = strv_push(&next, have.v[i]);
        joined = r >= 0 ? strv_join(&next, ",") : NULL;
        if (r >= 0 && !joined)
                r = -ENOMEM;
        if (r >= 0 && found && !*joined && line > 0 && strcmp(f.lines[line - 1].text, MARK) == 0) {
                textfile_remove(&f, line);
                textfile_remove(&f, line - 1);
        } else if (r >= 0 && (found || *joined)) {
                if (asprintf(&text, "%s %s", KEY, joined) < 0)
                        r = -ENOMEM;
                else if (found) {
                        /* Unchanged lists keep the user's spelling. */
                        struct strv old = { 0 };
                        bool same = split_list(f.lines[line].text + strlen(KEY), &old) >= 0 && old.n == next.n;
                        for (size_t i = 0; same && i < next.n; i++)
                                same = strcmp(old.v[i], next.v[i]) == 0;
                        strv_free(&old);
                        if (!same)
                                r = textfile_set(&f, line, text);
                        free(text);
                } else {
                        r = textfile_insert(&f, f.n, MARK);
                        if (r >= 0)
                                r = textfile_insert(&f, f.n, text);
                        free(text);
                }
        }
        if (r >= 0)
                r = ctx_commit(ctx, &f, &changed);
        ctx->initramfs_changed |= changed;
        free(joined);
        strv_free(&have);
        strv_free(&next);
        textfile_free(&f);
        return r;
}

static int regenerate(struct plan_ctx *ctx)
{
        return ctx_command(ctx, "/usr/lib/booster/regenerate_images", (char *)NULL);
}

const struct emitter booster_emitter = { emit_booster, regenerate };
