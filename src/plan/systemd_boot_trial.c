/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/strbuf.h"

/*
 * systemd-boot's trial: a copy of the entry that started this boot, with the setup's
 * parameters, and LoaderEntryOneShot naming it (bootctl set-oneshot), which systemd-boot
 * removes when it reads it, before it boots the entry (Boot Loader Interface).  The copy has
 * no sort-key, so that it sorts after every entry that has one: never the default unless a
 * default pattern names it.
 */
#define TRIAL_CONF TRIAL_ENTRY_ID ".conf"

/* LoaderFeatures: a one-shot entry, and sorting by sort-key (systemd-boot 251 and later). */
#define FEATURE_ONESHOT (1ull << 3)
#define FEATURE_SORT_KEY (1ull << 8)

/* The entry the trial copies, named in it: a commit on the trial's boot takes the line from there. */
#define COPY_OF "# A copy of "

static bool field(const char *line, const char *key)
{
        size_t n = strlen(key);

        return strncmp(line, key, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

static const char *value_of(const char *line)
{
        const char *v = line + strcspn(line, " \t");

        return v + strspn(v, " \t");
}

/* The entries directory holding the entry named id (a file name); -ENOENT when none does. */
static int dir_of(const struct plan_ctx *ctx, const char *id, char *dir, size_t size)
{
        char path[512];

        if (ctx->m->esp.path) {
                snprintf(dir, size, "%s/loader/entries", ctx->m->esp.path + 1);
                snprintf(path, sizeof(path), "%s/%s", dir, id);
                if (sysroot_exists(ctx->sr, path))
                        return 0;
        }
        for (size_t i = 0; i < SYSTEMD_BOOT_ESP_FALLBACKS; i++) {
                snprintf(dir, size, "%s/loader/entries", systemd_boot_esp_fallbacks[i]);
                snprintf(path, sizeof(path), "%s/%s", dir, id);
                if (sysroot_exists(ctx->sr, path))
                        return 0;
        }
        return -ENOENT;
}

/* The default pattern: bootctl set-default's variable, else loader.conf's "default"; NULL for none. */
static int default_pattern(struct plan_ctx *ctx, char **ret)
{
        struct textfile f = { 0 };
        char path[256];
        int r;

        *ret = NULL;
        if (ctx->m->boot_once.entry_default)
                return (*ret = strdup(ctx->m->boot_once.entry_default)) ? 0 : -ENOMEM;
        snprintf(path, sizeof(path), "%s/loader/loader.conf", ctx->m->esp.path ? ctx->m->esp.path + 1 : "boot/efi");
        r = ctx_load(ctx, path, &f);
        for (size_t i = 0; r >= 0 && i < f.n; i++)
                if (field(f.lines[i].text, "default")) {
                        free(*ret);
                        if (!(*ret = strdup(value_of(f.lines[i].text))))
                                r = -ENOMEM;
                }
        textfile_free(&f);
        return r;
}

static int refuse(struct plan_ctx *ctx, const char *why)
{
        return ctx_refuse(ctx, -VS_E_NO_TRIAL, "a trial boot is not possible here: %s. " REMEDY(NO_TRIAL), why);
}

/* Whether systemd-boot could choose the trial's entry by itself, and not only once. */
static int check_default(struct plan_ctx *ctx, const struct textfile *booted)
{
        bool sort_key = false;
        char *pattern;
        int r = default_pattern(ctx, &pattern);

        if (r < 0)
                return r;
        if (pattern && strcmp(pattern, "@saved") == 0)
                r = refuse(ctx, "systemd-boot starts the entry booted last (default @saved), which after the trial would "
                                "be the trial's");
        else if (pattern && fnmatch(pattern, TRIAL_CONF, FNM_CASEFOLD) == 0)
                r = refuse(ctx, "systemd-boot's default pattern would choose the trial's entry");
        else if (!pattern) {
                for (size_t i = 0; i < booted->n; i++)
                        sort_key |= field(booted->lines[i].text, "sort-key");
                if (!sort_key)
                        r = refuse(ctx, "no default entry is set and the entry booted now has no sort-key, so systemd-boot "
                                        "could sort the trial's entry first and start it at every boot");
        }
        free(pattern);
        return r;
}

/* The booted entry, titled as the trial, without its sort-key, with the setup's parameters. */
static int trial_entry(struct plan_ctx *ctx, const struct textfile *booted, char **ret)
{
        struct strbuf options = { 0 }, b = { 0 };
        char *joined = NULL, *edited = NULL;
        bool titled = false, has_linux = false;
        int r;

        for (size_t i = 0; i < booted->n; i++) {
                has_linux |= field(booted->lines[i].text, "linux");
                if (field(booted->lines[i].text, "options"))
                        strbuf_printf(&options, "%s%s", options.len ? " " : "", value_of(booted->lines[i].text));
        }
        if (!has_linux)
                return refuse(ctx, "the entry that started this boot is not one vfio-setup can copy (it has no linux "
                                   "line: a unified kernel image or another system's loader)");
        r = strbuf_finish(&options, &joined);
        if (r >= 0)
                r = ctx_edit_cmdline(ctx, joined, NULL, true, &edited);
        if (r < 0) {
                free(joined);
                return r;
        }
        strbuf_printf(&b, "# Written by vfio-setup for a trial boot; 'vfio-setup commit' or 'vfio-setup undo' "
                          "removes it.\n" COPY_OF "%s\n", ctx->m->boot_once.entry_selected);
        for (size_t i = 0; i < booted->n; i++) {
                const char *line = booted->lines[i].text;

                if (field(line, "title")) {
                        strbuf_printf(&b, "title %s: %s\n", TRIAL_ENTRY_TITLE, value_of(line));
                        titled = true;
                } else if (field(line, "linux")) {
                        strbuf_printf(&b, "%s\noptions %s\n", line, edited);
                } else if (!field(line, "sort-key") && !field(line, "options"))
                        strbuf_printf(&b, "%s\n", line);
        }
        if (!titled)
                strbuf_printf(&b, "title %s\n", TRIAL_ENTRY_TITLE);
        free(joined);
        free(edited);
        return strbuf_finish(&b, ret);
}

static int arm(struct plan_ctx *ctx)
{
        static const char *const set[] = { "bootctl", "set-oneshot", TRIAL_CONF, NULL };
        static const char *const clear[] = { "bootctl", "set-oneshot", "", NULL };

        return ctx_command_undo_words(ctx, set, clear);
}

int systemd_boot_trial_base(struct plan_ctx *ctx, char **ret)
{
        struct textfile trial = { 0 }, base = { 0 };
        struct strbuf options = { 0 };
        char dir[256], path[512];
        const char *name = NULL;
        int r;

        if (dir_of(ctx, TRIAL_CONF, dir, sizeof(dir)) < 0)
                return -ENOENT;
        snprintf(path, sizeof(path), "%s/%s", dir, TRIAL_CONF);
        r = ctx_load(ctx, path, &trial);
        for (size_t i = 0; r >= 0 && i < trial.n && !name; i++)
                if (startswith(trial.lines[i].text, COPY_OF))
                        name = trial.lines[i].text + strlen(COPY_OF);
        /* An entry's file name, in the trial's own directory: nothing else is read. */
        if (r >= 0 && (!name || !*name || strchr(name, '/') || strcmp(name, TRIAL_CONF) == 0 ||
                       (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
                       !sysroot_exists(ctx->sr, path)))
                r = -ENOENT;
        if (r >= 0)
                r = ctx_load(ctx, path, &base);
        textfile_free(&trial);
        if (r < 0) {
                textfile_free(&base);
                return r;
        }
        for (size_t i = 0; i < base.n; i++)
                if (field(base.lines[i].text, "options"))
                        strbuf_printf(&options, "%s%s", options.len ? " " : "", value_of(base.lines[i].text));
        textfile_free(&base);
        return strbuf_finish(&options, ret);
}

/* The same trial, left as it is: the plan still names its parameters, and the state keeps them. */
static int keep_in_place(struct plan_ctx *ctx)
{
        int r = strv_merge(&ctx->plan->params_add, &ctx->want.params);

        if (r >= 0)
                r = ctx_record_params(ctx, &ctx->want.params);
        if (r >= 0 && !(ctx->plan->trial_entry = strdup(TRIAL_CONF)))
                r = -ENOMEM;
        return r;
}

int systemd_boot_trial(struct plan_ctx *ctx)
{
        const struct boot_once *b = &ctx->m->boot_once;
        struct textfile booted = { 0 };
        char dir[256], path[512], *text = NULL;
        bool changed;
        int r;

        if (!ctx->trial) {
                /* Committed, released or set up for good: the trial's entry and its one-time boot go. */
                if (!ctx->m->vfio.tool.trial.n)
                        return 0;
                r = 0;
                if (dir_of(ctx, TRIAL_CONF, dir, sizeof(dir)) == 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, TRIAL_CONF);
                        r = ctx_own_file(ctx, path, NULL, &changed);
                }
                return r < 0 ? r : ctx_command(ctx, "bootctl", "set-oneshot", "", (char *)NULL);
        }
        if (ctx->trial_in_place)
                return keep_in_place(ctx);
        if ((b->loader_features & (FEATURE_ONESHOT | FEATURE_SORT_KEY)) != (FEATURE_ONESHOT | FEATURE_SORT_KEY))
                return refuse(ctx, "the boot loader did not say that it starts an entry once and sorts entries by "
                                   "sort-key (LoaderFeatures; systemd-boot 251 and later do)");
        if (!b->entry_selected)
                return refuse(ctx, "systemd-boot did not say which entry started this boot (LoaderEntrySelected)");
        if (strcmp(b->entry_selected, TRIAL_CONF) == 0)
                return refuse(ctx, "this boot was started from the trial's own entry; plan from a boot of the default "
                                   "entry");
        if (dir_of(ctx, b->entry_selected, dir, sizeof(dir)) < 0)
                return refuse(ctx, "the entry that started this boot is in no loader/entries directory vfio-setup "
                                   "knows (it may be a unified kernel image)");
        snprintf(path, sizeof(path), "%s/%s", dir, b->entry_selected);
        r = ctx_load(ctx, path, &booted);
        if (r >= 0)
                r = check_default(ctx, &booted);
        if (r >= 0)
                r = trial_entry(ctx, &booted, &text);
        textfile_free(&booted);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/%s", dir, TRIAL_CONF);
        r = ctx_own_file(ctx, path, text, &changed);
        free(text);
        if (r >= 0 && !(ctx->plan->trial_entry = strdup(TRIAL_CONF)))
                r = -ENOMEM;
        return r < 0 ? r : arm(ctx);
}
