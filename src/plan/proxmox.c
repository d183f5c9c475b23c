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

/*
 * proxmox-boot-tool writes the entries of every ESP it keeps and removes others; its "kernel pin
 * --next-boot" pins a kernel, not a command line, and is cleared from the booted system, so a
 * trial that hangs would start again.
 */
const struct emitter proxmox_systemd_boot_emitter = {
        emit_systemd_boot, refresh,
        .no_trial = "proxmox-boot-tool writes the boot entries on every ESP it keeps, and its one-time pin (kernel pin "
                    "--next-boot) chooses a kernel, not a command line, and is cleared only by the system it booted",
};
const struct emitter proxmox_grub_emitter = {
        emit_grub, refresh,
        .no_trial = "proxmox-boot-tool makes GRUB's configuration on every ESP it keeps, and its one-time pin (kernel pin "
                    "--next-boot) chooses a kernel, not a command line, and is cleared only by the system it booted",
};
