/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "wizard_private.h"

/* Two fields: the boot loader and the initramfs generator, each "as detected" or overridden. */
struct boot_view {
        int field;
};

static void evidence(struct canvas *c, int *y, const struct strv *l)
{
        char *joined = strv_join(l, ", ");

        if (joined && *joined)
                *y = canvas_wrap(c, *y, 6, c->w - 8, CR_DIM, joined);
        free(joined);
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct boot_view *v = priv;
        const struct machine *m = w->m;
        int y = top + 1, bl = w->sel.bootloader >= 0 ? w->sel.bootloader : m->bootloader.kind;
        int ir = w->sel.initramfs >= 0 ? w->sel.initramfs : m->initramfs.kind;
        char line[160];

        (void)bottom;
        canvas_printf(c, y++, 2, CR_NORMAL, "Distribution: %s",
                      m->distro.pretty_name ? m->distro.pretty_name : m->distro.name ? m->distro.name : "unknown");
        if (m->esp.path)
                canvas_printf(c, y++, 2, CR_NORMAL, "EFI System Partition: %s", m->esp.path);
        y++;
        snprintf(line, sizeof(line), "Boot loader:      < %s >%s",
                 w->sel.bootloader == 0 ? "by hand" : bootloader_name((enum bootloader_kind)bl),
                 w->sel.bootloader >= 0 ? "  (chosen by you)" : "  (detected)");
        draw_item(c, y++, 2, c->w - 4, v->field == 0, bl ? CR_OK : CR_WARNING, line);
        if (w->sel.bootloader < 0)
                evidence(c, &y, &m->bootloader.evidence);
        if (bl >= 0 && bl < _BOOTLOADER_MAX)
                y = canvas_wrap(c, y, 6, c->w - 8, CR_NORMAL, bootloader_note((enum bootloader_kind)bl));
        snprintf(line, sizeof(line), "Initramfs:        < %s >%s",
                 w->sel.initramfs == 0 ? "by hand" : initramfs_name((enum initramfs_kind)ir),
                 w->sel.initramfs >= 0 ? "  (chosen by you)" : "  (detected)");
        draw_item(c, y++, 2, c->w - 4, v->field == 1, ir ? CR_OK : CR_WARNING, line);
        if (w->sel.initramfs < 0)
                evidence(c, &y, &m->initramfs.evidence);
        y++;
        canvas_wrap(c, y, 2, c->w - 4, CR_DIM,
                    "Left and Right change the highlighted one when detection got it wrong; \"by hand\" lists what to "
                    "add yourself and writes nothing there. NixOS gets a configuration.nix snippet.");
}

/*
 * Cycles detected -> each other kind -> by hand (kind 0: the parameters listed to add
 * yourself) -> detected.  The detected kind is not offered twice.
 */
static void cycle(int *value, int max, int detected, int step)
{
        int v = *value;

        do {
                v += step;
                if (v >= max)
                        v = -1;
                if (v < -1)
                        v = max - 1;
        } while (v == detected && detected != 0);
        *value = v;
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct boot_view *v = priv;

        if (list_move(&v->field, 1, 1, k))
                return STEP_STAY;
        if (k == WK_LEFT || k == WK_RIGHT) {
                cycle(v->field == 0 ? &w->sel.bootloader : &w->sel.initramfs,
                      v->field == 0 ? _BOOTLOADER_MAX : _INITRAMFS_MAX,
                      v->field == 0 ? (int)w->m->bootloader.kind : (int)w->m->initramfs.kind, k == WK_RIGHT ? 1 : -1);
                w->changed = true;
        }
        return STEP_STAY;
}

const struct step_ops boot_step = {
        .title = "Distribution and boot chain",
        .help = "Where the kernel parameters go depends on the boot loader (GRUB, systemd-boot, ...) or on the tool "
                "that owns the boot chain (proxmox-boot-tool, rpm-ostree, sdbootutil), and the early vfio modules on "
                "the initramfs generator (mkinitcpio, dracut, ...). The evidence shows why each was recognised; "
                "override it with Left/Right when it is wrong.",
        .keys = "Enter next  Left/Right change  Up/Down field  b back",
        .keeps_view = true,
        .private_size = sizeof(struct boot_view),
        .draw = draw,
        .key = key,
};
