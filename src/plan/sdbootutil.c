/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "emit.h"

/*
 * openSUSE's sdbootutil writes the systemd-boot or GRUB-BLS entries on the
 * ESP, with initrds it builds with dracut.  The command line of an entry is
 * /etc/kernel/cmdline, else /usr/lib/kernel/cmdline, else the running one
 * (sdbootutil's create_boot_options).  "update-all-entries" rewrites the
 * entries' options; "mkinitrd" builds the initrds again and writes the
 * entries with them.  dracut --regenerate-all would write initrds to /boot,
 * which these entries do not use.
 */

static int seed(struct plan_ctx *ctx, char **ret)
{
        int r = sysroot_read_line(ctx->sr, "usr/lib/kernel/cmdline", ret);

        return r == -ENOENT ? running_seed(ctx, ret) : r;
}

static int emit_sdbootutil(struct plan_ctx *ctx)
{
        return emit_cmdline_file_from(ctx, seed, NULL);
}

static int regenerate(struct plan_ctx *ctx)
{
        if (ctx->initramfs_changed)
                return ctx_command(ctx, "sdbootutil", "mkinitrd", (char *)NULL);
        if (ctx->boot_changed)
                return ctx_command(ctx, "sdbootutil", "update-all-entries", (char *)NULL);
        return 0;
}

const struct emitter sdbootutil_emitter = {
        emit_sdbootutil, regenerate, .owns_initramfs = true,
        .no_trial = "sdbootutil writes every entry on the ESP again from /etc/kernel/cmdline, and vfio-setup makes no "
                    "trial entry beside them",
};
