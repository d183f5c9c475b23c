/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "emit.h"

/*
 * Proxmox VE on ZFS (or with its ESPs kept in sync) boots through
 * proxmox-boot-tool: its "refresh" copies the kernels and initrds to every ESP
 * listed in /etc/kernel/proxmox-boot-uuids, with the command line of
 * /etc/kernel/cmdline (falling back to the running one) in systemd-boot
 * entries, or GRUB's configuration made from /etc/default/grub on the ESP.
 * The ESPs are not mounted otherwise: nothing there is edited directly, and
 * update-grub on the root would write a grub.cfg no boot reads.
 * (Proxmox VE Administration Guide, "Host Bootloader"; proxmox-boot-tool's
 * kernel hook, zz-proxmox-boot.)
 */

/* Its hook makes the entries from the running line, initrd= dropped, when the file is absent. */
static int emit_systemd_boot(struct plan_ctx *ctx)
{
        return emit_cmdline_file_from(ctx, running_seed, NULL);
}

static int emit_grub(struct plan_ctx *ctx)
{
        bool changed = false;
        int r = edit_default_grub(ctx, &changed);

        ctx->boot_changed |= changed;
        return r;
}

/* After update-initramfs: the ESPs get the new initrds and command line together. */
static int refresh(struct plan_ctx *ctx)
{
        if (!ctx->boot_changed && !ctx->initramfs_changed)
                return 0;
        return ctx_command(ctx, "proxmox-boot-tool", "refresh", (char *)NULL);
}

const struct emitter proxmox_systemd_boot_emitter = { emit_systemd_boot, refresh };
const struct emitter proxmox_grub_emitter = { emit_grub, refresh };
