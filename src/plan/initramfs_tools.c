/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"

/*
 * initramfs-tools(7): /etc/initramfs-tools/modules lists one module a line,
 * loaded early in that order.  vfio-setup's lines stand between two marker
 * comments, so they can be replaced and removed without touching the user's.
 */
#define MODULES "etc/initramfs-tools/modules"
#define BEGIN "# vfio-setup: begin (for GPU passthrough; 'vfio-setup plan --release' removes it)"
#define END "# vfio-setup: end"

static int emit_initramfs_tools(struct plan_ctx *ctx)
{
        struct textfile f = { 0 };
        size_t begin = 0, end = 0, at;
        bool in_block = false, found = false, changed;
        struct strv user = { 0 }, block = { 0 };
        int r;

        r = ctx_load(ctx, MODULES, &f);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f.n && r >= 0; i++) {
                const char *t = f.lines[i].text;
                char name[128];

                if (strcmp(t, BEGIN) == 0) {
                        in_block = found = true;
                        begin = i;
                } else if (in_block && strcmp(t, END) == 0) {
                        in_block = false;
                        end = i;
                } else if (!in_block && sscanf(t, " %127[^# \t]", name) == 1)
                        r = strv_push(&user, name);
        }
        if (r >= 0 && in_block) {
                textfile_free(&f);
                strv_free(&user);
                return ctx_refuse(ctx, -VS_E_CONFIG, "/%s: vfio-setup's block has no end marker", MODULES);
        }
        for (size_t i = 0; i < ctx->want.modules.n && r >= 0; i++)
                if (!strv_contains(&user, ctx->want.modules.v[i])) {
                        r = strv_push(&block, ctx->want.modules.v[i]);
                        if (r >= 0)
                                r = ctx_note_module(ctx, ctx->want.modules.v[i]);
                }
        /* Out with the old block, in with the new one where it stood (or at the end). */
        at = found ? begin : f.n;
        for (size_t k = 0; found && k <= end - begin; k++)
                textfile_remove(&f, begin);
        if (r >= 0 && block.n > 0) {
                r = textfile_insert(&f, at, BEGIN);
                for (size_t i = 0; i < block.n && r >= 0; i++)
                        r = textfile_insert(&f, at + 1 + i, block.v[i]);
                if (r >= 0)
                        r = textfile_insert(&f, at + 1 + block.n, END);
        }
        if (r >= 0)
                r = ctx_commit(ctx, &f, &changed);
        ctx->initramfs_changed |= changed;
        textfile_free(&f);
        strv_free(&user);
        strv_free(&block);
        return r;
}

static int regenerate(struct plan_ctx *ctx)
{
        return ctx_command(ctx, "update-initramfs", "-u", "-k", "all", (char *)NULL);
}

const struct emitter initramfs_tools_emitter = { emit_initramfs_tools, regenerate };
