/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/shellvar.h"
#include "vfio-setup/words.h"

#define CONF "etc/mkinitcpio.conf"

/*
 * mkinitcpio.conf: "The following modules are loaded before any boot hooks
 * are run" (MODULES); the vfio modules go first, before any GPU driver the
 * user listed.  The modconf hook copies /etc/modprobe.d into the image, which
 * carries the vfio-pci ids.
 */
static int find_array(struct plan_ctx *ctx, const struct textfile *f, const char *key, struct shell_value *v,
                      bool *found)
{
        char *reason = NULL;
        int r = shell_find_list(f, key, v, found, &reason);

        return ctx_take_reason(ctx, r, reason);
}

/* An array's words are the shell's; a string's (the older HOOKS="a b") are split at white space alone. */
static enum words_syntax syntax_of(const struct shell_value *v)
{
        return v->quote == '(' ? WORDS_SHELL : WORDS_FIELDS;
}

/* Every word of the array, over all its lines. */
static int array_words(const struct textfile *f, const struct shell_value *v, struct strv *ret)
{
        int r = 0;

        for (size_t i = v->line; i <= v->last_line && r >= 0; i++) {
                const char *t = f->lines[i].text;
                size_t start = i == v->line ? v->start : 0;
                size_t end = i == v->line ? v->end : i == v->last_line ? v->last_end : strlen(t);
                char *part = strndup(t + start, end - start);
                struct words w;

                if (!part)
                        return -ENOMEM;
                r = words_parse(part, syntax_of(v), &w);
                free(part);
                for (size_t k = 0; k < w.n && r >= 0; k++)
                        r = strv_consume(ret, words_get(&w, k));
                if (r >= 0)
                        words_free(&w);
        }
        return r;
}

/* Adds (at front, or before `before`) and removes words on the array's first line. */
static int edit_array(struct textfile *f, const struct shell_value *v, const struct strv *add, const char *before,
                      const struct strv *remove)
{
        char *text = shell_value_text(f, v);
        struct words w;
        int r;

        if (!text)
                return -ENOMEM;
        r = words_parse(text, syntax_of(v), &w);
        free(text);
        if (r < 0)
                return r;
        for (size_t i = 0; i < w.n && r >= 0;) {
                char *word = words_get(&w, i);

                if (!word) {
                        r = -ENOMEM;
                        break;
                }
                if (strv_contains(remove, word))
                        r = words_remove(&w, i);
                else
                        i++;
                free(word);
        }
        for (size_t k = add->n; k > 0 && r >= 0; k--) {
                size_t at = 0;

                for (size_t i = 0; before && i < w.n; i++) {
                        char *word = words_get(&w, i);
                        bool hit = word && strcmp(word, before) == 0;

                        free(word);
                        if (hit) {
                                at = i;
                                break;
                        }
                        at = w.n;
                }
                r = words_insert(&w, at, add->v[k - 1]);
        }
        if (r >= 0)
                r = shell_value_set(f, v, w.text);
        words_free(&w);
        return r;
}

static int modules(struct plan_ctx *ctx, struct textfile *f)
{
        struct strv have = { 0 }, add = { 0 }, remove = { 0 };
        struct shell_value v;
        bool found;
        int r;

        r = find_array(ctx, f, "MODULES", &v, &found);
        if (r < 0)
                return r;
        if (!found)
                return ctx_refuse(ctx, -VS_E_CONFIG, "/%s: no MODULES list to add the vfio modules to", f->path);
        r = array_words(f, &v, &have);
        for (size_t i = 0; i < ctx->want.modules.n && r >= 0; i++) {
                const char *mod = ctx->want.modules.v[i];

                if (!strv_contains(&have, mod))
                        r = strv_push(&add, mod);
                /* Present already and added by vfio-setup before: still its own. */
                if (r >= 0 && (!strv_contains(&have, mod) || strv_contains(&ctx->m->vfio.tool.modules, mod)))
                        r = ctx_note_module(ctx, mod);
        }
        for (size_t i = 0; i < ctx->want.drop_modules.n && r >= 0; i++)
                if (strv_contains(&have, ctx->want.drop_modules.v[i]))
                        r = strv_push(&remove, ctx->want.drop_modules.v[i]);
        if (r >= 0 && (add.n || remove.n))
                r = edit_array(f, &v, &add, NULL, &remove);
        strv_free(&have);
        strv_free(&add);
        strv_free(&remove);
        return r;
}

static int hooks(struct plan_ctx *ctx, struct textfile *f)
{
        struct strv have = { 0 }, add = { 0 }, remove = { 0 };
        struct shell_value v;
        bool found;
        int r;

        r = find_array(ctx, f, "HOOKS", &v, &found);
        if (r < 0 || !found)
                return r;
        r = array_words(f, &v, &have);
        if (r >= 0 && ctx->want.modconf && !strv_contains(&have, "modconf"))
                r = strv_push(&add, "modconf");
        if (r >= 0 && ctx->want.modconf && strv_contains(&ctx->m->vfio.tool.hooks, "modconf"))
                r = strv_push(&ctx->next.hooks, "modconf");
        for (size_t i = 0; i < ctx->m->vfio.tool.hooks.n && r >= 0 && !ctx->want.modconf; i++)
                if (strv_contains(&have, ctx->m->vfio.tool.hooks.v[i]))
                        r = strv_push(&remove, ctx->m->vfio.tool.hooks.v[i]);
        if (r >= 0 && add.n)
                r = strv_push(&ctx->next.hooks, "modconf");
        /* Where the stock configuration has it: before the block hook. */
        if (r >= 0 && (add.n || remove.n))
                r = edit_array(f, &v, &add, "block", &remove);
        strv_free(&have);
        strv_free(&add);
        strv_free(&remove);
        return r;
}

static int emit_mkinitcpio(struct plan_ctx *ctx)
{
        struct textfile f = { 0 };
        bool changed = false;
        int r;

        r = ctx_load(ctx, CONF, &f);
        if (r < 0)
                return r;
        if (!f.exists) {
                textfile_free(&f);
                return ctx_refuse(ctx, -VS_E_CONFIG, "/%s does not exist: is mkinitcpio installed?", CONF);
        }
        r = modules(ctx, &f);
        if (r >= 0)
                r = hooks(ctx, &f);
        if (r >= 0)
                r = ctx_commit(ctx, &f, &changed);
        ctx->initramfs_changed |= changed;
        textfile_free(&f);
        return r;
}

static int regenerate(struct plan_ctx *ctx)
{
        return ctx_command(ctx, "mkinitcpio", "-P", (char *)NULL);
}

const struct emitter mkinitcpio_emitter = { emit_mkinitcpio, regenerate };
