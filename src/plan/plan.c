/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/params.h"
#include "vfio-setup/cmdline.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/findings.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/host_needs.h"

/* Devices in the groups of the selected ones that would have to go along. */
static int blockers(const struct machine *m, const struct strv *selected, struct strv *ret)
{
        int r = 0;

        for (size_t i = 0; i < selected->n && r >= 0; i++) {
                const struct iommu_group *g;
                size_t idx;

                if (machine_find_device(m, selected->v[i], &idx) < 0)
                        continue;
                g = machine_find_group(m, m->devices[idx].iommu_group);
                for (size_t k = 0; g && k < g->n_devices && r >= 0; k++) {
                        const struct pci_device *d = &m->devices[g->devices[k]];

                        if (strv_contains(selected, d->address) || strv_contains(ret, d->address))
                                continue;
                        if (d->class_known && pci_class_is_host_side_bridge(d->class_id))
                                continue;
                        r = strv_push(ret, d->address);
                }
        }
        return r;
}

/* "alias pci:v00001234d00001111sv*sd*bc03sc*i* bochs": the modules whose patterns match a modalias. */
static int alias_modules(struct plan_ctx *ctx, const char *modalias, struct strv *ret)
{
        char *line, *save = NULL, *copy;
        int r = 0;

        if (!ctx->aliases) {
                char path[256];

                snprintf(path, sizeof(path), "lib/modules/%s/modules.alias", ctx->m->vfio.kernel ? ctx->m->vfio.kernel : "");
                if (!ctx->m->vfio.kernel || sysroot_read(ctx->sr, path, 0, &ctx->aliases, NULL) < 0)
                        ctx->aliases = strdup("");
                if (!ctx->aliases)
                        return -ENOMEM;
        }
        copy = strdup(ctx->aliases);
        if (!copy)
                return -ENOMEM;
        for (line = strtok_r(copy, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                char pattern[512], module[128];

                if (sscanf(line, "alias %511s %127s", pattern, module) == 2 && startswith(pattern, "pci:") &&
                    module_name_ok(module) && fnmatch(pattern, modalias, 0) == 0 && !strv_contains(ret, module))
                        r = strv_push(ret, module);
        }
        free(copy);
        return r;
}

/*
 * The modules that would claim a device: the known ones for its vendor and
 * class, the module of the driver bound to it now, and for a device without
 * a driver, those whose aliases match it.
 */
static int claimers(struct plan_ctx *ctx, const struct pci_device *d, struct strv *ret)
{
        int r = wanted_softdeps(d, ret);

        if (r >= 0 && d->driver_module && !strv_contains(ret, d->driver_module))
                r = strv_push(ret, d->driver_module);
        if (r >= 0 && !d->driver) {
                char path[96], *modalias;

                snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/modalias", d->address);
                if (sysroot_read_line(ctx->sr, path, &modalias) == 0) {
                        r = alias_modules(ctx, modalias, ret);
                        free(modalias);
                }
        }
        return r;
}

static int add_device(struct plan_ctx *ctx, size_t idx)
{
        const struct pci_device *d = &ctx->m->devices[idx];
        int r;

        if (strv_contains(&ctx->plan->devices, d->address))
                return 0;
        if (!d->ids_known)
                return ctx_refuse(ctx, -VS_E_SELECTION, "%s: its vendor and device id cannot be read", d->address);
        /* With the IOMMU off every device is in no group until the reboot that turns it on; with it on, for good. */
        if (ctx->m->iommu.kernel_active && d->iommu_group == PCI_GROUP_NONE)
                return ctx_refuse(ctx, -VS_E_SELECTION, "%s is in no IOMMU group although the kernel's IOMMU is on: %s",
                                  d->address, findings_no_group_advice(ctx->m));
        r = strv_push(&ctx->plan->devices, d->address);
        if (r >= 0)
                r = strv_pushf(&ctx->plan->vfio_ids, "%04x:%04x", d->vendor_id, d->device_id);
        if (r >= 0) {
                struct strv mods = { 0 };

                struct strv *claims = reallocarray(ctx->claims, ctx->n_claims + 1, sizeof(*claims));

                r = claims ? claimers(ctx, d, &mods) : -ENOMEM;
                for (size_t i = 0; i < mods.n && r >= 0; i++)
                        if (!strv_contains(&ctx->want.softdeps, mods.v[i]))
                                r = strv_push(&ctx->want.softdeps, mods.v[i]);
                if (r >= 0 && mods.n == 0)
                        r = strv_push(&ctx->unclaimed, d->address);
                if (claims) {
                        ctx->claims = claims;
                        claims[ctx->n_claims++] = mods;
                } else
                        strv_free(&mods);
        }
        return r;
}

static int reset_warning(struct plan_ctx *ctx, const struct gpu_info *g, size_t idx)
{
        const char *when = ctx_hands_over(ctx) ? "when the guest restarts, nor work for the host again once the "
                                                 "guest has had it (until the machine reboots)"
                                               : "when the guest restarts";

        if (g->reset_quirk &&
            ctx_warn(ctx, "%s is an AMD %s GPU, which may not reset %s: install the vendor-reset module and its udev "
                          "rule (github.com/gnif/vendor-reset)",
                     ctx->m->devices[idx].address, g->reset_quirk, when) < 0)
                return -ENOMEM;
        return 0;
}

/* One GPU of the selection, with its companions: each passes the same checks. */
static int select_one_gpu(struct plan_ctx *ctx, const char *address)
{
        const struct machine *m = ctx->m;
        const struct gpu_info *g = NULL;
        bool boot_vga;
        size_t idx;

        if (machine_find_device(m, address, &idx) < 0)
                return ctx_refuse(ctx, -VS_E_SELECTION, "%s: no such PCI device on this machine", address);
        if (strv_contains(&ctx->plan->devices, m->devices[idx].address))
                return ctx_refuse(ctx, -VS_E_SELECTION, "%s: named twice (as another GPU, or as a function of "
                                  "another GPU named)", m->devices[idx].address);
        for (size_t i = 0; i < m->n_gpus; i++)
                if (m->gpus[i].device == idx)
                        g = &m->gpus[i];
        if (!g)
                return ctx_refuse(ctx, -VS_E_SELECTION, "%s is not a GPU (class 0300, 0302 or 0380)",
                                  m->devices[idx].address);
        if (ctx_refuse_slot_disk(ctx, idx, idx) < 0 || add_device(ctx, idx) < 0 || ctx_check_host_way(ctx, idx, true) < 0)
                return ctx->reason ? -VS_E_SELECTION : -ENOMEM;
        for (size_t i = 0; i < g->n_companions; i++)
                if (ctx_refuse_slot_disk(ctx, idx, g->companions[i]) < 0 || ctx_refuse_platform(ctx, idx, g->companions[i]) < 0 ||
                    add_device(ctx, g->companions[i]) < 0 || ctx_check_host_way(ctx, g->companions[i], false) < 0)
                        return ctx->reason ? -VS_E_SELECTION : -ENOMEM;
        /* The single-GPU hook hands the GPU over once the host has let go of it: the boot is not concerned. */
        if (ctx->sel->single_gpu)
                return reset_warning(ctx, g, idx);
        /* Handover keeps the host's display: the GPU it starts on is not handed over. */
        if (ctx->sel->handover && (g->reasons & ((1u << GPU_REASON_BOOT_VGA) | (1u << GPU_REASON_ONLY_GPU))))
                return ctx_refuse(ctx, -VS_E_SELECTION, "handover keeps the host's display, and %s is it (%s). %s",
                                  m->devices[idx].address,
                                  g->reasons & (1u << GPU_REASON_ONLY_GPU) ? "the machine's only GPU"
                                                                           : "the firmware's boot display",
                                  g->reasons & (1u << GPU_REASON_ONLY_GPU)
                                          ? REMEDY(SINGLE_GPU)
                                          : "Hand over another GPU, or bind this one at boot (" REMEDY(NO_HANDOVER) ")");
        if (ctx->sel->handover)
                return reset_warning(ctx, g, idx);
        /* Held, not final: the other reasons (its IOMMU group) are named with it. */
        /* With a second GPU the firmware can be told to start on it; with one, there is nothing else to show. */
        if ((g->reasons & (1u << GPU_REASON_BOOT_VGA)) && !ctx->sel->allow_boot_vga && m->n_gpus > 1)
                return ctx_refuse(ctx, -VS_E_BOOT_VGA,
                                  "%s is the boot VGA device: the firmware's console and framebuffer (efifb, simpledrm) "
                                  "hold its memory, so vfio-pci may fail to claim it (\"BAR 0: can't reserve\"), and the "
                                  "host shows nothing until the other GPU's driver starts. Best: make the other GPU the "
                                  "primary display in the firmware setup (often \"Initial display output\" or \"Primary "
                                  "graphics adapter\"). %s",
                                  m->devices[idx].address, REMEDY(BOOT_VGA));
        if ((g->reasons & (1u << GPU_REASON_BOOT_VGA)) && !ctx->sel->allow_boot_vga)
                return ctx_refuse(ctx, -VS_E_BOOT_VGA,
                                  "%s is the boot VGA device and the machine's only GPU: once vfio-pci takes it the host "
                                  "has no display at all, from early boot on, and the firmware's framebuffer must be "
                                  "kept off it (\"BAR 0: can't reserve\" otherwise). Have a way in without a screen "
                                  "first (ssh), and know the way back: module_blacklist=vfio_pci on the kernel line at "
                                  "the boot menu for one boot, then undo. %s. %s",
                                  m->devices[idx].address, REMEDY(BOOT_VGA),
                                  REMEDY(SINGLE_GPU));
        boot_vga = (g->reasons & (1u << GPU_REASON_BOOT_VGA)) != 0;
        ctx->boot_vga |= boot_vga;
        if (boot_vga &&
            ctx_warn(ctx, "%s is the boot VGA device: initcall_blacklist=sysfb_init keeps the firmware framebuffer off "
                          "it; some guests also need its video BIOS given as a ROM file",
                     m->devices[idx].address) < 0)
                return -ENOMEM;
        if (g->reasons & (1u << GPU_REASON_ONLY_GPU) &&
            ctx_warn(ctx, "%s is the only GPU: from the next boot the host has no display at all. To get it back, "
                          "log in over the network (ssh) and run vfio-setup undo, then reboot; or at the boot menu add "
                          "module_blacklist=vfio_pci to the kernel's line for that one boot, then undo",
                     m->devices[idx].address) < 0)
                return -ENOMEM;
        return reset_warning(ctx, g, idx);
}

static int select_gpu(struct plan_ctx *ctx)
{
        int r;

        if (!ctx->sel->gpu)
                return ctx_refuse(ctx, -VS_E_SELECTION, "%s", REMEDY(NAME_GPU));
        /* The hook hands one GPU over and gives the host its display back: one guest, one GPU. */
        if (ctx->sel->single_gpu && ctx->sel->more_gpus.n)
                return ctx_refuse(ctx, -VS_E_SELECTION, "single-GPU mode hands the machine's one GPU to its guest: "
                                  "name one GPU");
        if (ctx->sel->single_gpu && ctx->sel->handover)
                return ctx_refuse(ctx, -VS_E_SELECTION, "single-GPU mode and handover are two ways of one thing: "
                                  "choose one");
        /* One script, one GPU and its guest: each further GPU would need a guest and a record of its own. */
        if (ctx->sel->handover && ctx->sel->more_gpus.n)
                return ctx_refuse(ctx, -VS_E_SELECTION, "handover hands one GPU to one guest: name one GPU");
        r = select_one_gpu(ctx, ctx->sel->gpu);
        for (size_t i = 0; i < ctx->sel->more_gpus.n && r >= 0; i++)
                r = select_one_gpu(ctx, ctx->sel->more_gpus.v[i]);
        return r;
}

static int select_extras(struct plan_ctx *ctx)
{
        for (size_t i = 0; i < ctx->sel->extra.n; i++) {
                const struct pci_device *d;
                size_t idx;

                if (machine_find_device(ctx->m, ctx->sel->extra.v[i], &idx) < 0)
                        return ctx_refuse(ctx, -VS_E_SELECTION, "%s: no such PCI device on this machine",
                                          ctx->sel->extra.v[i]);
                d = &ctx->m->devices[idx];
                if (d->class_known && pci_class_is_host_side_bridge(d->class_id))
                        return ctx_refuse(ctx, -VS_E_SELECTION, "%s is a bridge: bridges stay with the host", d->address);
                if (ctx_refuse_host_disk(ctx, idx) < 0 || ctx_refuse_host_device(ctx, idx) < 0)
                        return ctx->reason ? -VS_E_SELECTION : -ENOMEM;
                if (add_device(ctx, idx) < 0 || ctx_check_host_way(ctx, idx, false) < 0)
                        return ctx->reason ? -VS_E_SELECTION : -ENOMEM;
        }
        return 0;
}

/*
 * vfio-pci ids bind by id: a device the host keeps with one of them would be taken too.  The
 * devices with such an id are bound by address instead (driver_override), and their ids
 * leave the list.
 */
static int split_by_address(struct plan_ctx *ctx)
{
        struct strv shared = { 0 }, ids = { 0 };
        int r = 0;

        for (size_t i = 0; i < ctx->m->n_devices && r >= 0; i++) {
                const struct pci_device *d = &ctx->m->devices[i];
                char id[16];

                if (!d->ids_known || strv_contains(&ctx->plan->devices, d->address))
                        continue;
                snprintf(id, sizeof(id), "%04x:%04x", d->vendor_id, d->device_id);
                if (strv_contains(&ctx->plan->vfio_ids, id) && !strv_contains(&shared, id))
                        r = strv_push(&shared, id);
        }
        /* plan.devices and plan.vfio_ids are parallel: one id per device. */
        for (size_t i = 0; i < ctx->plan->devices.n && r >= 0; i++)
                r = strv_contains(&shared, ctx->plan->vfio_ids.v[i]) ? strv_push(&ctx->plan->by_address, ctx->plan->devices.v[i])
                                                                      : strv_push(&ids, ctx->plan->vfio_ids.v[i]);
        /* Bound by address, a device is given to vfio-pci before its driver loads: that driver must be known. */
        for (size_t i = 0; i < ctx->plan->by_address.n && r >= 0; i++)
                if (strv_contains(&ctx->unclaimed, ctx->plan->by_address.v[i]))
                        r = ctx_refuse(ctx, -VS_E_SELECTION,
                                       "%s shares its id with a device the host keeps, and the module that would claim "
                                       "it is not known (its driver is built in, or neither sysfs nor modules.alias "
                                       "names one): vfio-setup cannot give it to vfio-pci first",
                                       ctx->plan->by_address.v[i]);
        if (r >= 0 && shared.n) {
                char *list = strv_join(&shared, ", ");

                r = list ? ctx_warn(ctx, "the host keeps devices with the same id (%s): vfio-setup binds the devices to pass "
                                         "through by their address, with driver_override, early at boot",
                                    list)
                         : -ENOMEM;
                free(list);
        }
        if (r >= 0) {
                strv_free(&ctx->plan->vfio_ids);
                ctx->plan->vfio_ids = ids;
        } else
                strv_free(&ids);
        strv_free(&shared);
        return r;
}

/* Why the host keeps a blocker, "" when it could go along; NULL on ENOMEM. */
static char *blocker_kept(const struct machine *m, size_t idx)
{
        char *why = device_host_needs(m, idx);

        if (why || !device_host_ways(m, idx))
                return why ? why : strdup("");
        why = strv_join(&m->devices[idx].host_way_texts, " and ");
        return why;
}

/*
 * vfio gives a group to a guest whole or not at all ("group is not viable"): the devices left
 * in the groups of the passed ones either go along or keep the guest from starting.  What the
 * host needs can never go along, so no confirmation takes a group that holds it.
 */
static int check_groups(struct plan_ctx *ctx)
{
        struct strv blocked = { 0 }, kept = { 0 }, movable = { 0 };
        char *list = NULL;
        int r;

        if (!ctx->m->iommu.kernel_active)
                return ctx_warn(ctx, "the kernel IOMMU is not active yet: IOMMU groups can only be checked after the "
                                     "reboot (run vfio-setup detect then)");
        r = blockers(ctx->m, &ctx->plan->devices, &blocked);
        if (r >= 0 && acs_override_shown(&ctx->m->iommu))
                r = ctx_warn(ctx, "ACS override: %s: the IOMMU groups the plan goes by are the override's, not the "
                                  "hardware's isolation; the guest may reach the memory of devices the host keeps",
                             ctx->m->iommu.acs_evidence);
        for (size_t i = 0; i < blocked.n && r >= 0; i++) {
                size_t idx;
                char *why;

                if (machine_find_device(ctx->m, blocked.v[i], &idx) < 0)
                        continue;
                why = blocker_kept(ctx->m, idx);
                if (!why)
                        r = -ENOMEM;
                else
                        r = *why ? strv_pushf(&kept, "%s is %s", blocked.v[i], why) : strv_push(&movable, blocked.v[i]);
                free(why);
        }
        strv_free(&blocked);
        if (r >= 0 && kept.n) {
                char *held = strv_join(&kept, "; ");

                list = movable.n ? strv_join(&movable, ", ") : NULL;
                if (!held || (movable.n && !list))
                        r = -ENOMEM;
                else
                        r = ctx_refuse(ctx, -VS_E_SELECTION,
                                       "the IOMMU groups of the devices also hold what the host needs: %s. vfio-pci gives "
                                       "a guest a group whole or not at all, so the guest could never start%s%s%s. Move "
                                       "the card to a slot wired to the CPU, or pass another GPU",
                                       held, list ? " (the group holds " : "", list ? list : "",
                                       list ? " too, which could go along)" : "");
                free(held);
        } else if (r >= 0 && movable.n) {
                list = strv_join(&movable, ", ");
                if (!list)
                        r = -ENOMEM;
                else if (ctx->sel->allow_dirty_group)
                        r = ctx_warn(ctx, "the IOMMU groups also hold %s, which stay with the host: the guest will not "
                                          "start (\"group is not viable\") until they go to vfio-pci too, or a kernel "
                                          "with the ACS override splits the group %s",
                                     list, REMEDY(DIRTY_ACCEPTED));
                else
                        r = ctx_refuse(ctx, -VS_E_DIRTY_GROUP, "the IOMMU groups of the devices also hold %s: %s", list,
                                       REMEDY(DIRTY_GROUP));
        }
        free(list);
        strv_free(&kept);
        strv_free(&movable);
        return r;
}

/*
 * Where the initramfs is the image's (early_by_cmdline): dracut loads vfio-pci first where the
 * image has it, and leaves the drivers that would claim the devices to the real root, whose
 * /etc/modprobe.d loads vfio-pci before them.
 */
static int want_early_params(struct plan_ctx *ctx)
{
        char *list;
        int r = 0;

        struct strv blacklist = { 0 };

        if (ctx->m->vfio.builtin != TRI_YES)
                r = strv_push(&ctx->want.params, "rd.driver.pre=vfio_pci");
        /* Never a driver the kernel builds in (it does nothing) or one the host's devices need. */
        for (size_t i = 0; i < ctx->want.softdeps.n && r >= 0; i++)
                if (!strv_contains(&ctx->keep_drivers, ctx->want.softdeps.v[i]))
                        r = strv_push(&blacklist, ctx->want.softdeps.v[i]);
        if (r < 0 || blacklist.n == 0) {
                strv_free(&blacklist);
                return r;
        }
        list = strv_join(&blacklist, ",");
        r = list ? strv_pushf(&ctx->want.params, "rd.driver.blacklist=%s", list) : -ENOMEM;
        free(list);
        strv_free(&blacklist);
        return r;
}

/* Whether a wanted parameter has token's name: setting it replaces the value, dropping it would undo that. */
static bool same_name_wanted(const struct strv *params, const char *token)
{
        char *key = strndup(token, strcspn(token, "="));
        bool found = false;

        /* A shared list (initcall_blacklist) keeps its items apart: each is kept or dropped alone. */
        for (size_t i = 0; key && !kcmdline_key_merged(key) && i < params->n && !found; i++) {
                char *k = strndup(params->v[i], strcspn(params->v[i], "="));

                found = k && kcmdline_key_equal(k, key);
                free(k);
        }
        free(key);
        return found;
}

/* The comma-separated items of a list value. */
static int list_items(const char *value, struct strv *ret)
{
        int r = 0;

        for (const char *p = value; *p && r >= 0;) {
                size_t n = strcspn(p, ",");

                if (n)
                        r = strv_consume(ret, strndup(p, n));
                p += n + (p[n] == ',');
        }
        return r;
}

/*
 * Drops an old token; of a shared list (rd.driver.blacklist=a,b) only the items no wanted
 * parameter of that name still has, so that moving to other devices keeps what both need.
 */
static int drop_items(const struct strv *params, const char *token, struct strv *drop)
{
        size_t klen = strcspn(token, "=");
        struct strv keep = { 0 }, gone = { 0 };
        char *key = strndup(token, klen), *list;
        int r = key ? 0 : -ENOMEM;

        if (r < 0 || !token[klen] || !kcmdline_key_merged(key)) {
                free(key);
                return r < 0 ? r : strv_push(drop, token);
        }
        for (size_t i = 0; i < params->n && r >= 0; i++)
                if (strncmp(params->v[i], key, klen) == 0 && params->v[i][klen] == '=')
                        r = list_items(params->v[i] + klen + 1, &keep);
        if (r >= 0)
                r = list_items(token + klen + 1, &gone);
        for (size_t i = 0; i < keep.n && r >= 0; i++)
                strv_remove(&gone, keep.v[i]);
        if (r >= 0 && gone.n) {
                list = strv_join(&gone, ",");
                r = list ? strv_pushf(drop, "%s=%s", key, list) : -ENOMEM;
                free(list);
        }
        free(key);
        strv_free(&keep);
        strv_free(&gone);
        return r;
}

static int want_forward(struct plan_ctx *ctx)
{
        const struct machine *m = ctx->m;
        const struct tool_state *old = &m->vfio.tool;
        struct want *w = &ctx->want;
        struct params_input in;
        bool early = bootloader_emitter(ctx->bootloader)->early_by_cmdline, single = ctx_hands_over(ctx);
        int kernel = kernel_version(m->vfio.kernel), r;

        r = select_gpu(ctx);
        if (r >= 0)
                r = select_extras(ctx);
        if (r >= 0)
                r = ctx_check_screens(ctx);
        if (r >= 0 && !single)
                r = split_by_address(ctx);
        if (r >= 0)
                r = check_groups(ctx);
        if (r >= 0)
                r = ctx_held_refusals(ctx);
        if (r >= 0)
                r = want_takeback(ctx);
        if (r < 0)
                return r;
        /* Handing over binds nothing at boot: no ids, no early modules, no driver waits for vfio-pci. */
        if (single) {
                strv_free(&ctx->plan->vfio_ids);
                strv_free(&w->softdeps);
        }
        strv_uniq(&ctx->plan->vfio_ids);
        w->ids = strv_join(&ctx->plan->vfio_ids, ",");
        if (!w->ids)
                return -ENOMEM;

        /*
         * Unknown (no modules.builtin): both places; each is harmless where the other works.
         * Binding by address needs modprobe.d with vfio-pci built in too.
         */
        w->modprobe = !single && (m->vfio.builtin != TRI_YES || ctx->plan->by_address.n > 0);
        /*
         * Every id shared with the host's devices: nothing is bound by id.  A trial's ids go on its
         * entry's line, the one thing only that entry has.
         */
        in = (struct params_input){ .vendor = m->cpu.vendor, .iommu_pt = ctx->sel->iommu_pt, .boot_vga = ctx->boot_vga,
                                    .ids_on_cmdline = (m->vfio.builtin != TRI_NO || early || ctx->trial) && *w->ids,
                                    .ids = w->ids };
        r = wanted_params(&in, &w->params);
        if (r >= 0 && early && !single)
                r = want_early_params(ctx);
        if (r >= 0)
                r = want_gaming_params(ctx);
        if (r >= 0 && ctx->trial)
                r = strv_push(&w->params, TRIAL_PARAM);
        if (r >= 0 && m->vfio.builtin != TRI_YES && !single)
                r = wanted_modules(kernel, &w->modules);
        if (r >= 0 && kernel < 0 && m->vfio.builtin != TRI_YES && !single)
                r = ctx_warn(ctx, "the kernel version is unknown: vfio_virqfd (kernels before 6.2) is left out");
        /* What it added before and no longer wants goes, unless a wanted parameter of that name takes its place. */
        for (size_t i = 0; i < old->params.n && r >= 0; i++)
                if (!strv_contains(&w->params, old->params.v[i]) && !same_name_wanted(&w->params, old->params.v[i]))
                        r = drop_items(&w->params, old->params.v[i], &w->drop);
        for (size_t i = 0; i < old->modules.n && r >= 0; i++)
                if (!strv_contains(&w->modules, old->modules.v[i]))
                        r = strv_push(&w->drop_modules, old->modules.v[i]);
        /* What vfio-setup added before and still wants stays its own. */
        for (size_t i = 0; i < old->params.n && r >= 0; i++)
                if (strv_contains(&w->params, old->params.v[i]))
                        r = strv_push(&ctx->next.params, old->params.v[i]);
        w->modconf = w->modprobe;
        return r;
}

static bool nixos(const struct machine *m)
{
        return m->distro.id && strcmp(m->distro.id, "nixos") == 0;
}

static int want_release(struct plan_ctx *ctx)
{
        const struct tool_state *old = &ctx->m->vfio.tool;
        int r = 0;

        for (size_t i = 0; i < old->params.n && r >= 0; i++)
                r = strv_push(&ctx->want.drop, old->params.v[i]);
        for (size_t i = 0; i < old->modules.n && r >= 0; i++)
                r = strv_push(&ctx->want.drop_modules, old->modules.v[i]);
        if (r >= 0 && !old->present)
                r = ctx_warn(ctx, "vfio-setup has not set up passthrough on this machine: there is nothing of its own "
                                  "to remove");
        for (size_t i = 0; i < ctx->m->vfio.n_ids && r >= 0; i++)
                if (strstr(ctx->m->vfio.ids[i].source, "vfio-setup") == NULL && !strv_contains(&old->ids, ctx->m->vfio.ids[i].id))
                        r = ctx_warn(ctx, "vfio-pci id %s in %s was not set by vfio-setup and stays", ctx->m->vfio.ids[i].id,
                                     ctx->m->vfio.ids[i].source);
        return r;
}

/* The directories the plan's new files need and the machine lacks, parents first. */
static int new_dirs(struct plan_ctx *ctx, struct strv *dirs)
{
        int r = 0;

        for (size_t i = 0; i < ctx->plan->n_files && r >= 0; i++) {
                char *copy;

                if (ctx->plan->files[i].action != PLAN_CREATE)
                        continue;
                copy = strdup(ctx->plan->files[i].path);
                if (!copy)
                        return -ENOMEM;
                for (char *slash = strchr(copy, '/'); slash && r >= 0; slash = strchr(slash + 1, '/')) {
                        *slash = '\0';
                        if (!sysroot_exists(ctx->sr, copy) && !strv_contains(dirs, copy))
                                r = strv_push(dirs, copy);
                        *slash = '/';
                }
                free(copy);
        }
        return r;
}

static int write_state(struct plan_ctx *ctx)
{
        const struct tool_state *old = &ctx->m->vfio.tool;
        char *text = NULL;
        bool changed = false;
        int r = 0;

        if (ctx->sel->release) {
                /* Innermost first, so that a parent is empty by the time it comes. */
                for (size_t i = old->dirs.n; i-- > 0 && r >= 0;)
                        r = strv_push(&ctx->plan->remove_dirs, old->dirs.v[i]);
        } else {
                r = strv_merge(&ctx->next.dirs, &old->dirs);
                if (r >= 0)
                        r = strv_merge(&ctx->next.unknown, &old->unknown);
                if (r >= 0)
                        r = new_dirs(ctx, &ctx->next.dirs);
                for (size_t i = 0; i < ctx->plan->devices.n && r >= 0; i++)
                        r = strv_push(&ctx->next.devices, ctx->plan->devices.v[i]);
                for (size_t i = 0; i < ctx->plan->vfio_ids.n && r >= 0; i++)
                        r = strv_push(&ctx->next.ids, ctx->plan->vfio_ids.v[i]);
                strv_uniq(&ctx->next.params);
                strv_uniq(&ctx->next.created);
                if (r >= 0 && !(text = state_format(&ctx->next)))
                        r = -ENOMEM;
        }
        /* A machine set up by hand, where nothing changes, is not vfio-setup's to record. */
        if (r >= 0 && (ctx->m->vfio.tool.present || !plan_empty(ctx->plan)))
                r = ctx_own_file(ctx, STATE_PATH, text, &changed);
        free(text);
        return r;
}

static bool same_words(const struct strv *a, const struct strv *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!strv_contains(b, a->v[i]))
                        return false;
        return true;
}

int plan_build(const struct sysroot *sr, const struct machine *m, const struct selection *sel, struct plan **ret,
               char **ret_reason)
{
        struct plan_ctx ctx = { .sr = sr, .m = m, .sel = sel };
        const struct emitter *boot, *initramfs;
        int r;

        ctx.plan = calloc(1, sizeof(*ctx.plan));
        if (!ctx.plan)
                return -ENOMEM;
        ctx.plan->release = sel->release;
        ctx.bootloader = sel->bootloader >= 0 ? sel->bootloader : m->bootloader.kind;
        ctx.initramfs = sel->initramfs >= 0 ? sel->initramfs : m->initramfs.kind;
        /*
         * A setup committed before is on every entry already: changing it has no old setup to fall back
         * to.  Where the user adds the parameters by hand, the boot entry is theirs to try.
         */
        ctx.trial = !sel->release && !sel->no_trial && (!m->vfio.tool.present || m->vfio.tool.trial.n > 0) &&
                    !nixos(m) && ctx.bootloader != BOOTLOADER_UNKNOWN && ctx.bootloader != BOOTLOADER_EFISTUB;
        ctx.plan->trial = ctx.trial;
        ctx.plan->commit = !ctx.trial && m->vfio.tool.trial.n > 0;

        if (m->vfio.tool_error)
                r = ctx_refuse(&ctx, -VS_E_CONFIG, "%s; put the file back as vfio-setup wrote it (vfio-setup undo, "
                               "or from a backup) before planning", m->vfio.tool_error);
        else if (sel->release && m->vfio.tool.unknown.n)
                r = ctx_refuse(&ctx, -VS_E_CONFIG, "/%s records what a newer vfio-setup set up (%s): release it with "
                               "that version", STATE_PATH, m->vfio.tool.unknown.v[0]);
        else
                r = sel->release ? want_release(&ctx) : want_forward(&ctx);
        /* Nothing at boot to try (single-GPU mode with the IOMMU on): no trial. */
        if (r >= 0 && ctx.trial && ctx.want.params.n == 1 && !ctx.plan->by_address.n && !ctx.takeback.n) {
                strv_remove(&ctx.want.params, TRIAL_PARAM);
                ctx.trial = ctx.plan->trial = false;
        }
        if (r >= 0 && ctx.trial && !bootloader_emitter(ctx.bootloader)->trial)
                r = ctx_refuse(&ctx, -VS_E_NO_TRIAL, "a trial boot is not possible here: %s. Without a trial, every "
                               "boot from the next one on starts the new setup. " REMEDY(NO_TRIAL),
                               bootloader_emitter(ctx.bootloader)->no_trial);
        /* NixOS is configured in configuration.nix: vfio-setup writes nothing there. */
        if (r >= 0 && nixos(m)) {
                r = emit_manual(&ctx);
                if (r >= 0 && (sel->single_gpu || sel->handover) && !sel->release)
                        r = ctx_manual(&ctx, "%s: NixOS declares libvirt's hooks in configuration.nix "
                                             "(virtualisation.libvirtd.hooks.qemu); vfio-setup writes no hook there",
                                       sel->single_gpu ? "single-GPU mode" : "handover");
        }
        else if (r >= 0) {
                boot = bootloader_emitter(ctx.bootloader);
                initramfs = initramfs_emitter(ctx.initramfs);
                r = emit_modprobe(&ctx);
                if (r >= 0)
                        r = emit_override(&ctx);
                if (r >= 0)
                        r = emit_takeback(&ctx);
                if (r >= 0)
                        r = emit_handover(&ctx);
                if (r >= 0)
                        r = emit_looking_glass(&ctx);
                if (r >= 0)
                        r = emit_gaming(&ctx);
                if (r >= 0)
                        r = emit_storage(&ctx);
                if (r >= 0)
                        r = initramfs->emit(&ctx);
                if (r >= 0 && !ctx.trial)
                        r = boot->emit(&ctx);
                if (r >= 0 && ctx.initramfs_changed && initramfs->regenerate && !boot->owns_initramfs)
                        r = initramfs->regenerate(&ctx);
                if (r >= 0 && boot->regenerate)
                        r = boot->regenerate(&ctx);
                if (r >= 0 && ctx.kernel_install)
                        r = emit_kernel_install(&ctx);
                if (r >= 0)
                        r = emit_proxmox_guest(&ctx);
                /* Last: the trial is armed once everything it boots is made. */
                ctx.trial_in_place = ctx.trial && !ctx.plan->n_files && same_words(&m->vfio.tool.trial, &ctx.want.params) &&
                                     (m->boot_once.trial_armed || m->boot_once.trial_booted);
                if (r >= 0 && boot->trial)
                        r = boot->trial(&ctx);
                if (r >= 0 && ctx.trial)
                        r = strv_merge(&ctx.plan->trial_params, &ctx.next.trial);
                if (r >= 0)
                        r = write_state(&ctx);
        }
        free(ctx.aliases);
        strv_free(&ctx.unclaimed);
        for (size_t i = 0; i < ctx.n_claims; i++)
                strv_free(&ctx.claims[i]);
        free(ctx.claims);
        strv_free(&ctx.builtin);
        strv_free(&ctx.keep_drivers);
        strv_free(&ctx.takeback);
        strv_free(&ctx.held);
        free(ctx.want.ids);
        strv_free(&ctx.want.params);
        strv_free(&ctx.want.drop);
        strv_free(&ctx.want.modules);
        strv_free(&ctx.want.drop_modules);
        strv_free(&ctx.want.softdeps);
        state_free(&ctx.next);
        if (r < 0) {
                plan_free(ctx.plan);
                if (ctx.reason && ret_reason)
                        *ret_reason = ctx.reason;
                else
                        free(ctx.reason);
                return r;
        }
        free(ctx.reason);
        *ret = ctx.plan;
        return 0;
}

bool plan_refused(int r)
{
        return r == -VS_E_SELECTION || r == -VS_E_CONFIG || r == -VS_E_DIRTY_GROUP || r == -VS_E_BOOT_VGA ||
               r == -VS_E_HOST_DEVICE || r == -VS_E_CONFIRM || r == -VS_E_NO_TRIAL;
}

int commands_for_undo(const struct strv *commands, const struct strv *undo, size_t n, struct strv **ret, size_t *ret_n)
{
        struct strv *v = calloc(n ? n : 1, sizeof(*v));
        size_t k = 0;
        int r = v ? 0 : -ENOMEM;

        for (size_t i = n; i-- > 0 && r >= 0;)
                if (undo && undo[i].n)
                        r = strv_merge(&v[k++], &undo[i]);
        for (size_t i = 0; i < n && r >= 0; i++)
                if (!undo || !undo[i].n)
                        r = strv_merge(&v[k++], &commands[i]);
        if (r < 0) {
                commands_free(v, k);
                return r;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

void commands_free(struct strv *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                strv_free(&v[i]);
        free(v);
}

bool plan_empty(const struct plan *p)
{
        return p->n_files == 0 && p->n_commands == 0 && p->remove_dirs.n == 0;
}

int plan_build_worded(const struct sysroot *sr, const struct machine *m, const struct selection *sel,
                      const char *const words[_REMEDY_MAX], struct plan **ret, char **ret_reason)
{
        struct plan *p = NULL;
        int r, w;

        r = plan_build(sr, m, sel, &p, ret_reason);
        w = remedy_render_in_place(ret_reason, words);
        if (r >= 0 && w >= 0)
                w = remedy_render_strv(&p->warnings, words);
        if (r >= 0 && w >= 0)
                w = remedy_render_strv(&p->manual, words);
        if (w < 0) {
                plan_free(p);
                free(*ret_reason);
                *ret_reason = NULL;
                return w;
        }
        if (r >= 0)
                *ret = p;
        return r;
}

void plan_free(struct plan *p)
{
        if (!p)
                return;
        strv_free(&p->devices);
        strv_free(&p->disks);
        strv_free(&p->vfio_ids);
        strv_free(&p->by_address);
        strv_free(&p->params_add);
        strv_free(&p->params_remove);
        strv_free(&p->remove_dirs);
        for (size_t i = 0; i < p->n_files; i++) {
                free(p->files[i].path);
                free(p->files[i].old_content);
                free(p->files[i].new_content);
                free(p->files[i].note);
                free(p->files[i].seed);
        }
        free(p->files);
        commands_free(p->commands, p->n_commands);
        commands_free(p->undo_commands, p->n_commands);
        strv_free(&p->warnings);
        strv_free(&p->manual);
        pinning_free(&p->pinning);
        free(p->single_gpu);
        free(p->handover);
        free(p->trial_entry);
        strv_free(&p->trial_params);
        free(p);
}
