/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#include "emit.h"

/*
 * Limine reads its configuration at boot, from the first of these it finds
 * (CONFIG.md); entries carry "cmdline:" (alias "kernel_cmdline:"), or, in
 * limine.cfg before version 8, "CMDLINE=" / "KERNEL_CMDLINE=".
 */
static const struct {
        const char *path;
        bool on_esp;
} configs[] = {
        { "limine.conf", true }, { "limine/limine.conf", true }, { "EFI/BOOT/limine.conf", true },
        { "EFI/limine/limine.conf", true }, { "boot/limine.conf", false }, { "boot/limine/limine.conf", false },
        { "limine.cfg", true }, { "limine/limine.cfg", true }, { "EFI/BOOT/limine.cfg", true },
        { "boot/limine.cfg", false }, { "boot/limine/limine.cfg", false },
};

static const char *const keys[] = { "cmdline:", "kernel_cmdline:", "CMDLINE=", "KERNEL_CMDLINE=" };

/* Offset of the value when the line sets a command line, else 0. */
static size_t cmdline_value(const char *text)
{
        size_t lead = strspn(text, " \t");

        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                if (strncasecmp(text + lead, keys[k], strlen(keys[k])) == 0) {
                        size_t at = lead + strlen(keys[k]);
                        return at + strspn(text + at, " \t");
                }
        return 0;
}

static int edit(struct plan_ctx *ctx, const char *path)
{
        struct textfile f = { 0 };
        bool changed = false;
        int r;

        r = ctx_load(ctx, path, &f);
        for (size_t i = 0; r >= 0 && i < f.n; i++) {
                size_t at = cmdline_value(f.lines[i].text);
                char *edited = NULL, *line;

                if (!at)
                        continue;
                r = ctx_edit_cmdline(ctx, f.lines[i].text + at, NULL, true, &edited);
                if (r >= 0 && strcmp(edited, f.lines[i].text + at) != 0) {
                        if (asprintf(&line, "%.*s%s", (int)at, f.lines[i].text, edited) < 0)
                                r = -ENOMEM;
                        else {
                                r = textfile_set(&f, i, line);
                                free(line);
                        }
                }
                free(edited);
        }
        if (r >= 0)
                r = ctx_commit(ctx, &f, &changed);
        textfile_free(&f);
        return r;
}

static int emit_limine(struct plan_ctx *ctx)
{
        const char *esp = ctx->m->esp.path ? ctx->m->esp.path + 1 : "boot";
        int r = 0;

        for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
                char path[512];

                struct stat st;

                snprintf(path, sizeof(path), "%s%s%s", configs[i].on_esp ? esp : "", configs[i].on_esp && *esp ? "/" : "",
                         configs[i].path);
                /* A broken link where the configuration goes is refused by name, not taken for no file. */
                if (sysroot_stat(ctx->sr, path, true, &st) < 0)
                        continue;
                r = edit(ctx, path);
                if (r >= 0 && sysroot_exists(ctx->sr, "etc/default/limine"))
                        r = ctx_warn(ctx, "/etc/default/limine exists: if limine-entry-tool writes /%s, put the parameters "
                                          "in its KERNEL_CMDLINE there as well",
                                     path);
                return r;
        }
        return ctx_manual(ctx, "no limine.conf found: add the kernel parameters to the cmdline of your Limine entries");
}

const struct emitter limine_emitter = {
        emit_limine,
        .no_trial = "Limine's documentation offers no one-time boot of an entry",
};
