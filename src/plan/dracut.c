/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

/*
 * dracut.conf(5): files in /etc/dracut.conf.d must end in ".conf";
 * force_drivers+=" ... " makes dracut load the modules early (add_drivers
 * only puts them in the image).  Leading and trailing spaces let several
 * files add to the list.
 */
#define DROPIN "etc/dracut.conf.d/10-vfio-setup.conf"

static const struct regenerator regenerators[] = {
        { "usr/bin/reinstall-kernels", { "reinstall-kernels" } },
        { "usr/bin/dracut-rebuild", { "dracut-rebuild" } },
        { "usr/bin/dracut", { "dracut", "--regenerate-all", "-f" } },
        { "usr/sbin/dracut", { "dracut", "--regenerate-all", "-f" } },
};

static int emit_dracut(struct plan_ctx *ctx)
{
        char *modules = strv_join(&ctx->want.modules, " "), *text = NULL;
        bool changed = false;
        int r = 0;

        if (!modules)
                return -ENOMEM;
        if (*modules && asprintf(&text, "# Written by vfio-setup for GPU passthrough; 'vfio-setup plan --release' "
                                        "removes it.\nforce_drivers+=\" %s \"\n",
                                 modules) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = ctx_own_file(ctx, DROPIN, text, &changed);
        ctx->initramfs_changed |= changed;
        free(modules);
        free(text);
        return r;
}

static int regenerate(struct plan_ctx *ctx)
{
        bool found;
        int r = ctx_command_first(ctx, regenerators, sizeof(regenerators) / sizeof(regenerators[0]), &found);

        if (r < 0 || found)
                return r;
        return ctx_command(ctx, "dracut", "--regenerate-all", "-f", (char *)NULL);
}

const struct emitter dracut_emitter = { emit_dracut, regenerate };
