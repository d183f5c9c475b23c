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
 * What the host needs never goes to a guest unasked: a controller of its disks, its chipset's
 * functions, its ways in (the network of its ssh sessions, its keyboard's controller, the last
 * screen it shows).  Each refusal names what the host would lose, and the way out.
 */

static int refuse_disk(struct plan_ctx *ctx, size_t device, const char *gpu)
{
        const struct machine *m = ctx->m;
        char *summary, *uses;
        size_t disk;
        int r;

        if (controller_host_disk(m, device, &disk) < 0)
                return 0;
        summary = disk_summary(&m->disks[disk]);
        uses = disk_uses(&m->disks[disk]);
        if (!summary || !uses)
                r = -ENOMEM;
        else if (gpu)
                r = ctx_refuse(ctx, -VS_E_SELECTION,
                               "%s, a function of the slot of GPU %s, holds %s, which the host uses for %s: vfio-pci "
                               "takes every function of the slot, and the host would lose the disk. Plug the disk "
                               "into another port, or stop using it on the host, first",
                               m->devices[device].address, gpu, summary, uses);
        else
                r = ctx_refuse(ctx, -VS_E_SELECTION,
                               "%s holds %s, which the host uses for %s: passing the controller would take them from "
                               "the host. %s",
                               m->devices[device].address, summary, uses, REMEDY(HOST_DISK));
        free(summary);
        free(uses);
        return r;
}

int ctx_refuse_host_disk(struct plan_ctx *ctx, size_t device)
{
        return refuse_disk(ctx, device, NULL);
}

int ctx_refuse_slot_disk(struct plan_ctx *ctx, size_t gpu, size_t device)
{
        return refuse_disk(ctx, device, ctx->m->devices[gpu].address);
}

int ctx_refuse_host_device(struct plan_ctx *ctx, size_t device)
{
        char *why = device_host_needs(ctx->m, device);
        int r = 0;

        if (!why)
                return 0;
        r = ctx_refuse(ctx, -VS_E_SELECTION, "%s is %s: it stays with the host", ctx->m->devices[device].address, why);
        free(why);
        return r;
}

int ctx_refuse_platform(struct plan_ctx *ctx, size_t gpu, size_t device)
{
        const struct pci_device *g = &ctx->m->devices[gpu], *d = &ctx->m->devices[device];
        char *why;
        int r = 0;

        if (g->ids_known && d->ids_known && d->vendor_id == g->vendor_id)
                return 0;
        why = device_host_needs(ctx->m, device);
        if (why && !ctx->m->iommu.kernel_active)
                r = ctx_refuse(ctx, -VS_E_SELECTION,
                               "%s, a function of the slot of GPU %s by another vendor, is %s, which the host needs; "
                               "whether it shares the GPU's IOMMU group (and must go with it) shows only once the "
                               "IOMMU is on. Turn the IOMMU on first (detect says how), then plan again",
                               d->address, g->address, why);
        else if (why)
                r = ctx_refuse(ctx, -VS_E_SELECTION,
                               "%s, a function of the slot of GPU %s in its IOMMU group, is %s, which the host needs: "
                               "vfio-pci gives a guest a group whole or not at all, so this GPU cannot go as it sits",
                               d->address, g->address, why);
        free(why);
        return r;
}

/* What the host loses with the ways, and how to get back in; NULL for none. */
static const char *way_back(unsigned ways, bool single_gpu)
{
        if (ways & ((1u << HOST_WAY_ROUTE) | (1u << HOST_WAY_SSH) | (1u << HOST_WAY_ONLY_NIC)))
                return single_gpu ? "the host has no network through it while the guest runs: keep a keyboard and "
                                    "screen at the machine to get in meanwhile"
                                  : "the host has no network through it from the next boot: get back in at the "
                                    "machine's own keyboard and screen";
        if (ways & ((1u << HOST_WAY_INPUT) | (1u << HOST_WAY_ONLY_USB)))
                return single_gpu ? "the keyboard and mouse on it stop working for the host while the guest runs: "
                                    "keep ssh, or a keyboard on another controller, at hand"
                                  : "the keyboard and mouse on it stop working for the host from the next boot: get "
                                    "back in over ssh, or with a keyboard on another controller";
        if (ways & (1u << HOST_WAY_DISPLAY))
                return "its screens go dark for the host from the next boot: get back in over ssh, or on another "
                       "GPU's screen";
        return NULL;
}

int ctx_check_host_way(struct plan_ctx *ctx, size_t device, bool gpu)
{
        const struct pci_device *d = &ctx->m->devices[device];
        unsigned ways = device_host_ways(ctx->m, device);
        char *texts;
        int r;

        /*
         * Single-GPU mode hands the host's screen over while the guest runs: that is what it is for.
         * Handover takes a GPU's screens only while nothing on the host shows on them: its script
         * refuses the guest's start otherwise.
         */
        if (gpu && ctx_hands_over(ctx))
                ways &= ~(1u << HOST_WAY_DISPLAY);
        if (!ways)
                return 0;
        texts = strv_join(&d->host_way_texts, " and ");
        if (!texts)
                return -ENOMEM;
        if (!strv_contains(&ctx->sel->allow_host, d->address))
                r = ctx_refuse(ctx, -VS_E_HOST_DEVICE, "%s is %s: passing it takes that way in from the host. %s",
                               d->address, texts, REMEDY(HOST_WAY));
        else
                r = ctx_warn(ctx, "%s is %s: %s; at the boot menu, module_blacklist=vfio_pci on the kernel line gives "
                                  "it back for one boot, then run vfio-setup undo",
                             d->address, texts, way_back(ways, ctx_hands_over(ctx)));
        free(texts);
        return r;
}

int ctx_check_screens(struct plan_ctx *ctx)
{
        const struct machine *m = ctx->m;
        struct strv lit = { 0 }, may = { 0 };
        bool confirmed = false;
        char *all, *which;
        int r = 0;

        if (ctx_hands_over(ctx) || !machine_takes_every_screen(m, &ctx->plan->devices, SIZE_MAX))
                return 0;
        for (size_t i = 0; i < m->n_devices && r >= 0; i++) {
                const struct pci_device *d = &m->devices[i];

                if (!device_lights_screen(d))
                        continue;
                r = strv_push(&lit, d->address);
                /* One confirmation takes the last screen; the boot display's own is about its console. */
                if (r >= 0 && d->boot_vga != 1) {
                        confirmed |= strv_contains(&ctx->sel->allow_host, d->address);
                        r = strv_push(&may, d->address);
                }
        }
        all = strv_join(&lit, ", ");
        which = strv_join(&may, " or ");
        if (r < 0 || !all || !which)
                r = -ENOMEM;
        else if (!confirmed)
                r = ctx_refuse(ctx, -VS_E_HOST_DEVICE, "the plan takes every GPU lighting a screen the host shows now "
                                                       "(%s): the host would be left with none. %s (%s)",
                               all, REMEDY(HOST_WAY), which);
        else
                r = ctx_warn(ctx, "the plan takes every GPU lighting a screen the host shows now (%s): %s", all,
                             way_back(1u << HOST_WAY_DISPLAY, false));
        free(all);
        free(which);
        strv_free(&lit);
        strv_free(&may);
        return r;
}
