/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"

#define REFIND_LINUX "boot/refind_linux.conf"

/*
 * rEFInd reads refind_linux.conf beside the kernel: one boot option a line,
 * "Title" "kernel options" (mkrlconf(8)), the first being the default.  The
 * default gets the parameters; the others (single-user, minimal) only lose
 * what vfio-setup takes away, and stay a way back, like GRUB's recovery
 * entries.
 */
static int edit_line(struct plan_ctx *ctx, struct textfile *f, size_t i, bool *first)
{
        const char *t = f->lines[i].text, *open1, *close1, *open2, *close2;
        char *options, *edited = NULL, *line;
        int r;

        open1 = t + strspn(t, " \t");
        if (*open1 == '#' || *open1 == '\0')
                return 0;
        if (*open1 != '"' || !(close1 = strchr(open1 + 1, '"')))
                return ctx_refuse(ctx, -VS_E_CONFIG, "/%s:%zu: expected \"Title\" \"options\"", f->path, i + 1);
        open2 = close1 + 1 + strspn(close1 + 1, " \t");
        if (*open2 != '"' || !(close2 = strchr(open2 + 1, '"')))
                return ctx_refuse(ctx, -VS_E_CONFIG, "/%s:%zu: the options are not one quoted string", f->path, i + 1);
        options = strndup(open2 + 1, (size_t)(close2 - open2 - 1));
        if (!options)
                return -ENOMEM;
        r = ctx_edit_cmdline(ctx, options, NULL, *first, &edited);
        *first = false;
        if (r >= 0 && strcmp(edited, options) != 0) {
                if (asprintf(&line, "%.*s%s%s", (int)(open2 + 1 - t), t, edited, close2) < 0)
                        r = -ENOMEM;
                else {
                        r = textfile_set(f, i, line);
                        free(line);
                }
        }
        free(options);
        free(edited);
        return r;
}

static int emit_refind(struct plan_ctx *ctx)
{
        struct textfile f = { 0 };
        bool changed = false, first = true;
        int r;

        r = ctx_load(ctx, REFIND_LINUX, &f);
        if (r < 0)
                return r;
        if (!f.exists) {
                textfile_free(&f);
                return ctx_manual(ctx, "rEFInd without /%s: add the kernel parameters to the \"options\" line of your "
                                       "boot stanza in refind.conf", REFIND_LINUX);
        }
        for (size_t i = 0; i < f.n && r >= 0; i++)
                r = edit_line(ctx, &f, i, &first);
        if (r >= 0)
                r = ctx_commit(ctx, &f, &changed);
        textfile_free(&f);
        return r;
}

const struct emitter refind_emitter = {
        emit_refind,
        .no_trial = "rEFInd remembers the entry booted last, not one to boot once",
};
