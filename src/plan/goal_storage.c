/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/host_needs.h"

/*
 * The storage goal gives the guest disks: whole controllers through vfio-pci
 * (--extra; they go like any other device), or single disks through libvirt
 * by their stable /dev/disk/by-id name (--disk; nothing is written for them,
 * --libvirt-xml prints the <disk>).  A disk the host uses (mounted, swap,
 * beneath LVM or LUKS) never goes, nor does the controller it is on.
 */

/* The guest's SATA targets sdb to sdz; sda is left for its own system disk. */
#define MAX_DISKS 25

static int add_disk(struct plan_ctx *ctx, const char *name)
{
        const struct machine *m = ctx->m;
        const struct block_disk *d;
        char *uses;
        size_t i;
        int r;

        if (machine_find_disk(m, name, &i) < 0)
                return ctx_refuse(ctx, -VS_E_SELECTION, REMEDY_WITH(DISK_NAMED) "%s" REMEDY_END ": no such disk on a PCI controller (detect lists them)",
                                  name);
        d = &m->disks[i];
        if (d->mounts.n > 0) {
                uses = disk_uses(d);
                r = uses ? ctx_refuse(ctx, -VS_E_SELECTION, REMEDY_WITH(DISK_NAMED) "%s" REMEDY_END ": the host uses it (%s); a disk must not be "
                                                             "used by host and guest at once", name, uses)
                         : -ENOMEM;
                free(uses);
                return r;
        }
        if (!d->by_id)
                return ctx_refuse(ctx, -VS_E_SELECTION, REMEDY_WITH(DISK_NAMED) "%s" REMEDY_END ": it has no /dev/disk/by-id name, and kernel names "
                                                        "such as %s can change at the next boot", name, d->name);
        if (strv_contains(&ctx->plan->devices, m->devices[d->controller].address))
                return ctx_refuse(ctx, -VS_E_SELECTION, REMEDY_WITH(DISK_NAMED) "%s" REMEDY_END ": its controller %s goes to the guest already, with the "
                                                        "disk", name, m->devices[d->controller].address);
        r = strv_pushf(&ctx->plan->disks, "/dev/disk/by-id/%s", d->by_id);
        if (r >= 0 && !strv_contains(&ctx->next.disks, d->by_id))
                r = strv_push(&ctx->next.disks, d->by_id);
        return r;
}

/* What the guest gets with each controller: said, since the host loses it. */
static int controllers(struct plan_ctx *ctx, bool *ret_any)
{
        const struct machine *m = ctx->m;
        int r = 0;

        for (size_t i = 0; i < m->n_disks && r >= 0; i++) {
                const struct block_disk *d = &m->disks[i];
                char *summary;

                if (!strv_contains(&ctx->plan->devices, m->devices[d->controller].address))
                        continue;
                *ret_any = true;
                summary = disk_summary(d);
                r = summary ? ctx_warn(ctx, "the guest gets %s with controller %s; the host cannot use it while it is "
                                            "bound to vfio-pci", summary, m->devices[d->controller].address)
                            : -ENOMEM;
                free(summary);
        }
        return r;
}

int emit_storage(struct plan_ctx *ctx)
{
        bool any = false;
        int r;

        if (ctx->sel->release)
                return 0;
        r = controllers(ctx, &any);
        if (r < 0 || !(ctx->sel->goals & (1u << GOAL_STORAGE)))
                return r;
        if (ctx->sel->disks.n > MAX_DISKS)
                return ctx_refuse(ctx, -VS_E_SELECTION, "storage: at most %d disks" REMEDY(DISK_LIMIT), MAX_DISKS);
        for (size_t i = 0; i < ctx->sel->extra.n && r >= 0; i++) {
                size_t idx;

                if (machine_find_device(ctx->m, ctx->sel->extra.v[i], &idx) == 0 && ctx->m->devices[idx].class_known &&
                    pci_class_is_storage(ctx->m->devices[idx].class_id))
                        any = true;
        }
        for (size_t i = 0; i < ctx->sel->disks.n && r >= 0; i++) {
                r = add_disk(ctx, ctx->sel->disks.v[i]);
                any = true;
        }
        if (r >= 0 && !any)
                return ctx_refuse(ctx, -VS_E_SELECTION, "storage: no controller or disk is chosen for the guest %s",
                                  REMEDY(STORAGE));
        if (r >= 0)
                r = strv_push(&ctx->next.goals, "storage");
        if (r >= 0 && ctx->plan->disks.n)
                r = ctx_manual(ctx, "storage: " REMEDY(DISKS_XML));
        return r;
}
