/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/cmdline.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/strbuf.h"

#define MODPROBE_PATH "etc/modprobe.d/vfio-setup.conf"

/*
 * modprobe.d(5): "options vfio-pci ids=..." for vfio-pci as a module, and
 * "softdep <driver> pre: vfio-pci" so that modprobe loads vfio-pci before any
 * driver that would claim the devices first (or, for devices bound by address,
 * an install line that does that and runs the override script).
 */
static char *own_file(const struct plan_ctx *ctx)
{
        char *devices = strv_join(&ctx->plan->devices, " "), *text = NULL;
        struct strbuf b = { 0 };

        if (!devices)
                return NULL;
        strbuf_printf(&b, "# Written by vfio-setup for GPU passthrough; 'vfio-setup plan --release' removes it.\n"
                          "# Devices: %s\n", devices);
        free(devices);
        /* A trial's ids are on its entry's line: the default entry, sharing this file, binds none. */
        if (*ctx->want.ids && !ctx->trial)
                strbuf_printf(&b, "options vfio-pci ids=%s\n", ctx->want.ids);
        /*
         * Devices bound by address: before each driver that would claim them loads, vfio-pci
         * is loaded and the script gives them to it.  modprobe.d(5): "install" runs a shell
         * command instead of loading the module, --ignore-install loads it.  The line loads
         * vfio-pci itself rather than by a softdep: kmod ignores the install command of a
         * module that has softdeps (libkmod's probe list), and the script would never run.
         */
        for (size_t i = 0; i < ctx->want.softdeps.n; i++)
                if (ctx->plan->by_address.n)
                        strbuf_printf(&b, "install %s modprobe vfio-pci; /bin/sh /%s; modprobe --ignore-install %s "
                                          "$CMDLINE_OPTS\n", ctx->want.softdeps.v[i], OVERRIDE_SCRIPT,
                                      ctx->want.softdeps.v[i]);
                else
                        strbuf_printf(&b, "softdep %s pre: vfio-pci\n", ctx->want.softdeps.v[i]);
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}

/* "options vfio-pci ids=..." written by hand: the ids are replaced there too, in place. */
static int user_lines(struct plan_ctx *ctx, const char *path)
{
        struct textfile f = { 0 };
        bool changed = false, edited = false;
        int r;

        r = ctx_load(ctx, path, &f);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f.n && r >= 0; i++) {
                char *copy = strdup(f.lines[i].text), *save = NULL, *w1, *w2, *p, *line;

                if (!copy)
                        return -ENOMEM;
                w1 = strtok_r(copy, " \t", &save);
                w2 = w1 ? strtok_r(NULL, " \t", &save) : NULL;
                if (!w1 || !w2 || strcmp(w1, "options") != 0 || !kcmdline_key_equal(w2, "vfio_pci")) {
                        free(copy);
                        continue;
                }
                free(copy);
                p = strstr(f.lines[i].text, "ids=");
                if (!p || (p > f.lines[i].text && p[-1] != ' ' && p[-1] != '\t'))
                        continue;
                size_t len = strcspn(p + 4, " \t#");
                char *have = strndup(p + 4, len);
                bool same = have && kcmdline_value_equal("vfio_pci.ids", have, ctx->want.ids);

                free(have);
                if (same)
                        continue;
                if (asprintf(&line, "%.*sids=%s%s", (int)(p - f.lines[i].text), f.lines[i].text, ctx->want.ids,
                             p + 4 + len) < 0)
                        return -ENOMEM;
                r = textfile_set(&f, i, line);
                free(line);
                if (r >= 0)
                        r = ctx_warn(ctx, "/%s:%zu sets vfio-pci ids by hand: changed there to %s too", f.path, i + 1,
                                     ctx->want.ids);
                edited = true;
        }
        if (r >= 0 && edited) {
                r = ctx_commit(ctx, &f, &changed);
                ctx->initramfs_changed |= changed;
        }
        textfile_free(&f);
        return r;
}

int emit_modprobe(struct plan_ctx *ctx)
{
        struct strv files = { 0 };
        char *text = NULL;
        bool changed = false;
        int r = 0;

        if (ctx->want.modprobe && !(text = own_file(ctx)))
                return -ENOMEM;
        r = ctx_own_file(ctx, MODPROBE_PATH, text, &changed);
        free(text);
        ctx->initramfs_changed |= changed;
        /* Ids set by hand bind on the default entry: a trial leaves them, its commit changes them. */
        if (r < 0 || ctx->sel->release || ctx->trial)
                return r;
        /* Other files that set vfio-pci ids (detection found them): one GPU's ids everywhere. */
        for (size_t i = 0; i < ctx->m->vfio.n_ids && r >= 0; i++) {
                const char *src = ctx->m->vfio.ids[i].source, *colon = strrchr(src, ':');
                char *path;

                if (src[0] != '/' || !colon)
                        continue;
                path = strndup(src + 1, (size_t)(colon - src - 1));
                if (!path)
                        return -ENOMEM;
                if (strcmp(path, MODPROBE_PATH) != 0 && !strv_contains(&files, path))
                        r = strv_push(&files, path);
                free(path);
        }
        /* Ids given by hand stay when nothing is bound by id any more; the plan says so (want_release's way). */
        for (size_t i = 0; i < files.n && r >= 0; i++)
                r = *ctx->want.ids ? user_lines(ctx, files.v[i])
                                   : ctx_warn(ctx, "/%s sets vfio-pci ids by hand; remove them there", files.v[i]);
        strv_free(&files);
        return r;
}
