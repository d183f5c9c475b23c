/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/strbuf.h"

/*
 * GRUB's trial: grub-mkconfig runs /etc/grub.d's scripts in order, and this one, after the
 * others, adds the first entry 10_linux makes once more, under its own id and with the
 * setup's parameters; the default (GRUB_DEFAULT, the first entry or a saved one) stays.
 * The generated header boots next_entry from grubenv once, whatever GRUB_DEFAULT says, and
 * clears it before it boots (00_header: "set default=${next_entry}; set next_entry=;
 * save_env next_entry; set boot_once=true", which also keeps savedefault from saving it).
 */
#define SCRIPT "etc/grub.d/45_vfio-setup-trial"

/* grub2-editenv where the configuration is in /boot/grub2 (Fedora, openSUSE), else grub-editenv. */
static const struct {
        const char *cfg, *editenv, *env;
} envs[] = {
        { "boot/grub2/grub.cfg", "grub2-editenv", "/boot/grub2/grubenv" },
        { "boot/grub/grub.cfg", "grub-editenv", "/boot/grub/grubenv" },
};

/* File systems whose blocks GRUB cannot write in place (it writes grubenv by its sectors). */
static const char *const unwritable_fs[] = { "btrfs", "zfs", "bcachefs" };

static size_t env_index(const struct plan_ctx *ctx)
{
        return sysroot_exists(ctx->sr, envs[0].cfg) ? 0 : 1;
}

/* Where GRUB cannot clear next_entry, the trial would start at every boot: refused, saying why. */
static int check_env_writable(struct plan_ctx *ctx)
{
        const struct boot_once *b = &ctx->m->boot_once;
        const char *dir = envs[env_index(ctx)].env;
        int len = (int)(strrchr(dir, '/') - dir);

        if (!b->grub_fs)
                return ctx_refuse(ctx, -VS_E_NO_TRIAL, "a trial boot is not possible here: the file system holding "
                                  "%.*s is not known (no /proc/self/mountinfo), and GRUB clears a one-time entry only "
                                  "where it can write %s. " REMEDY(NO_TRIAL), len, dir, dir);
        for (size_t i = 0; i < sizeof(unwritable_fs) / sizeof(unwritable_fs[0]); i++)
                if (strcmp(b->grub_fs, unwritable_fs[i]) == 0)
                        return ctx_refuse(ctx, -VS_E_NO_TRIAL, "a trial boot is not possible here: %.*s is on %s, "
                                          "where GRUB cannot write %s to clear a one-time entry, so the trial would "
                                          "start at every boot. " REMEDY(NO_TRIAL), len, dir, b->grub_fs, dir);
        if (b->grub_layer)
                return ctx_refuse(ctx, -VS_E_NO_TRIAL, "a trial boot is not possible here: %.*s is on %s, where GRUB "
                                  "cannot write %s to clear a one-time entry, so the trial would start at every boot. "
                                  REMEDY(NO_TRIAL), len, dir, b->grub_layer, dir);
        return 0;
}

/* A case pattern for a parameter's name, either spelling of '-' and '_' (the kernel takes both). */
static void key_pattern(struct strbuf *b, const char *token)
{
        for (const char *p = token; *p && *p != '='; p++)
                if (*p == '-' || *p == '_')
                        strbuf_printf(b, "[-_]");
                else
                        strbuf_printf(b, "%c", *p);
}

/* Letters, digits, '.', '-' and '_': a name safe in a case pattern as it is. */
static bool plain_key(const char *token)
{
        size_t n = strcspn(token, "=");

        return n > 0 && strspn(token, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") >= n;
}

/*
 * The script: the parameters the setup sets replace those of the same name on the default
 * line (a list shared with the user, rd.driver.blacklist, is read whole from each), then come
 * after it.
 */
static char *script(const struct strv *params)
{
        struct strbuf b = { 0 };
        bool any = false;
        char *text, *joined, *tail;

        strbuf_printf(&b, "#!/bin/sh\n"
                          "# Written by vfio-setup for a trial boot; 'vfio-setup commit' or 'vfio-setup undo' removes it.\n"
                          "# The first entry of 10_linux once more, as \"" TRIAL_ENTRY_TITLE "\" with the setup's\n"
                          "# parameters; grubenv's next_entry starts it once.  It comes after the other entries: the\n"
                          "# default stays what it was.\n"
                          "set -f\n"
                          "keep() {\n"
                          "\tout=\n"
                          "\tfor word in $1; do\n"
                          "\t\tcase \"$word\" in\n"
                          "\t\t");
        for (size_t i = 0; i < params->n; i++) {
                char *key = strndup(params->v[i], strcspn(params->v[i], "="));

                if (key && plain_key(params->v[i]) && !kcmdline_key_merged(key)) {
                        strbuf_printf(&b, "%s", any ? "|" : "");
                        key_pattern(&b, params->v[i]);
                        strbuf_printf(&b, "|");
                        key_pattern(&b, params->v[i]);
                        strbuf_printf(&b, "=*");
                        any = true;
                }
                free(key);
        }
        strbuf_printf(&b, "%s) ;;\n"
                          "\t\t*) out=\"$out $word\" ;;\n"
                          "\t\tesac\n"
                          "\tdone\n"
                          "\tprintf '%%s' \"${out# }\"\n"
                          "}\n"
                          "GRUB_CMDLINE_LINUX=$(keep \"$GRUB_CMDLINE_LINUX\")\n"
                          "GRUB_CMDLINE_LINUX_DEFAULT=\"$(keep \"$GRUB_CMDLINE_LINUX_DEFAULT\")\"",
                      any ? "" : "'' ");
        joined = strv_join(params, " ");
        if (!joined || asprintf(&tail, " %s", joined) < 0) {
                free(joined);
                if (strbuf_finish(&b, &text) >= 0)
                        free(text);
                return NULL;
        }
        escape_shell(&b, tail);
        free(tail);
        free(joined);
        strbuf_printf(&b, "\n"
                          "export GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT\n"
                          "linux=\"${0%%/*}/10_linux\"\n"
                          "[ -x \"$linux\" ] || exit 0\n"
                          "\"$linux\" | awk '\n"
                          "\t/^menuentry / && !done {\n"
                          "\t\tsub(/^menuentry \\047/, \"menuentry \\047" TRIAL_ENTRY_TITLE ": \")\n"
                          "\t\tsub(/\\$menuentry_id_option \\047[^\\047]*\\047/, \"$menuentry_id_option \\047"
                          TRIAL_ENTRY_ID "\\047\")\n"
                          "\t\ton = 1\n"
                          "\t}\n"
                          "\ton && /^[ \\t]*savedefault/ { next }\n"
                          "\ton { print }\n"
                          "\ton && /^}/ { on = 0; done = 1 }'\n");
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}

int grub_trial(struct plan_ctx *ctx)
{
        size_t e = env_index(ctx);
        const char *const set[] = { envs[e].editenv, envs[e].env, "set", "next_entry=" TRIAL_ENTRY_ID, NULL };
        const char *const unset[] = { envs[e].editenv, envs[e].env, "unset", "next_entry", NULL };
        char *text = NULL;
        bool changed;
        int r;

        if (!ctx->trial) {
                /* Committed, released or set up for good: the trial's entry and its one-time boot go. */
                if (!ctx->m->vfio.tool.trial.n)
                        return 0;
                r = ctx_own_file_mode(ctx, SCRIPT, NULL, 0755, &changed);
                if (r >= 0 && changed)
                        r = grub_regenerate(ctx);
                if (r >= 0)
                        r = ctx_command(ctx, envs[e].editenv, envs[e].env, "unset", "next_entry", (char *)NULL);
                return r;
        }
        r = check_env_writable(ctx);
        if (r < 0)
                return r;
        text = script(&ctx->want.params);
        if (!text)
                return -ENOMEM;
        r = ctx_own_file_mode(ctx, SCRIPT, text, 0755, &changed);
        free(text);
        /* Made again every time but in place: a try again finds the entry as the files make it now. */
        if (r >= 0 && !ctx->trial_in_place)
                r = grub_regenerate(ctx);
        if (r >= 0)
                r = strv_merge(&ctx->plan->params_add, &ctx->want.params);
        if (r >= 0)
                r = ctx_record_params(ctx, &ctx->want.params);
        if (r >= 0 && !(ctx->plan->trial_entry = strdup(TRIAL_ENTRY_ID)))
                r = -ENOMEM;
        if (r < 0 || ctx->trial_in_place)
                return r;
        return ctx_command_undo_words(ctx, set, unset);
}
