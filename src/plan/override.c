/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/strbuf.h"

/*
 * Devices whose ids the host's devices share (two identical GPUs) cannot be
 * bound by vfio-pci ids.  They are bound by address: a script writes
 * "vfio-pci" to each one's driver_override (sysfs-bus-pci ABI: "the device
 * will only bind to a driver with a matching name") and asks for a probe
 * (drivers_probe), which vfio-pci, loaded first by the same install line, answers.
 * modprobe.d's install lines run it before every driver that would claim the
 * devices, with vfio-pci a module or built in; each initramfs generator
 * is told to carry the script, since modprobe runs there first.
 */
#define HEADER "# Written by vfio-setup to bind devices by address; 'vfio-setup plan --release' removes it.\n"

static const struct carrier {
        int initramfs;
        const char *path;
        const char *before, *after;     /* the content around the script's path */
        unsigned mode;
} carriers[] = {
        /* mkinitcpio.conf(5), mkinitcpio 36 and later: drop-ins in mkinitcpio.conf.d add to FILES. */
        { INITRAMFS_MKINITCPIO, "etc/mkinitcpio.conf.d/vfio-setup.conf", HEADER "FILES+=(", ")\n", 0 },
        /* dracut.conf(5): install_items, spaces around the list. */
        { INITRAMFS_DRACUT, "etc/dracut.conf.d/11-vfio-setup-override.conf", HEADER "install_items+=\" ", " \"\n", 0 },
        /* initramfs-tools(7): an executable hook, which answers "prereqs" and copies with copy_file. */
        /* The image's initramfs loads none of the drivers that would claim them (rd.driver.blacklist): the real root runs it. */
        { INITRAMFS_RPM_OSTREE, NULL, NULL, NULL, 0 },
        { INITRAMFS_INITRAMFS_TOOLS, "etc/initramfs-tools/hooks/vfio-setup",
          "#!/bin/sh\n" HEADER "PREREQ=\"\"\nif [ \"$1\" = prereqs ]; then\n\techo \"$PREREQ\"\n\texit 0\nfi\n"
          ". /usr/share/initramfs-tools/hook-functions\ncopy_file script ",
          "\n", 0755 },
};

static char *script(const struct strv *addresses, bool trial)
{
        struct strbuf b = { 0 };
        char *text;

        strbuf_printf(&b, "#!/bin/sh\n" HEADER
                          "# The host keeps devices with the same ids: these go to vfio-pci by address. modprobe runs\n"
                          "# it before the drivers that would claim them (/etc/modprobe.d/vfio-setup.conf).\n"
                          "%sfor dev in", trial ? TRIAL_GUARD : "");
        for (size_t i = 0; i < addresses->n; i++)
                strbuf_printf(&b, " %s", addresses->v[i]);
        strbuf_printf(&b, "; do\n"
                          "\t[ -e /sys/bus/pci/devices/$dev/driver_override ] || continue\n"
                          "\techo vfio-pci > /sys/bus/pci/devices/$dev/driver_override\n"
                          "\t[ -e /sys/bus/pci/devices/$dev/driver ] || echo $dev > /sys/bus/pci/drivers_probe\n"
                          "done\nexit 0\n");
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}

int emit_override(struct plan_ctx *ctx)
{
        const struct strv *addresses = &ctx->plan->by_address;
        bool on = !ctx->sel->release && addresses->n > 0, changed, carried = false;
        char *text = NULL;
        int r;

        if (on && ctx->initramfs == INITRAMFS_BOOSTER)
                return ctx_refuse(ctx, -VS_E_SELECTION,
                                  "%s: the host keeps devices with the same ids, so these must be bound by address, which "
                                  "needs modprobe's install commands; booster does not run them. Pass a GPU whose ids are "
                                  "unique, or use another initramfs generator (" REMEDY(INITRAMFS) ")",
                                  addresses->v[0]);
        if (on && !(text = script(addresses, ctx->trial)))
                return -ENOMEM;
        r = ctx_own_file_mode(ctx, OVERRIDE_SCRIPT, text, 0755, &changed);
        free(text);
        ctx->initramfs_changed |= changed;
        for (size_t i = 0; i < sizeof(carriers) / sizeof(carriers[0]) && r >= 0; i++) {
                const struct carrier *c = &carriers[i];
                bool wanted = on && c->initramfs == ctx->initramfs;

                carried |= wanted;
                if (!c->path)
                        continue;
                text = NULL;
                if (wanted && asprintf(&text, "%s/%s%s", c->before, OVERRIDE_SCRIPT, c->after) < 0)
                        return -ENOMEM;
                r = ctx_own_file_mode(ctx, c->path, text, c->mode, &changed);
                free(text);
                ctx->initramfs_changed |= changed;
        }
        if (r >= 0 && on && !carried)
                r = ctx_manual(ctx, "make the initramfs carry /%s and /etc/modprobe.d/vfio-setup.conf: modprobe runs the "
                                    "script there before the GPU's driver loads",
                               OVERRIDE_SCRIPT);
        return r;
}
