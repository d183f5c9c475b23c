/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/params.h"

/* Where nothing can be written safely, the plan says exactly what to do by hand. */

static int params_by_hand(struct plan_ctx *ctx, const char *where)
{
        char *add = ctx_params_text(ctx), *drop = strv_join(&ctx->want.drop, " ");
        int r = 0;

        if (!add || !drop)
                r = -ENOMEM;
        if (r >= 0 && *add)
                r = ctx_manual(ctx, "add to the kernel command line of %s: %s", where, add);
        if (r >= 0 && *drop)
                r = ctx_manual(ctx, "remove from the kernel command line of %s: %s", where, drop);
        free(add);
        free(drop);
        return r;
}

/* What the user was asked to add by hand before, to take away again: vfio-setup did not record it. */
static int release_by_hand(struct plan_ctx *ctx)
{
        const struct tool_state *old = &ctx->m->vfio.tool;
        struct params_input in = { .vendor = ctx->m->cpu.vendor, .iommu_pt = true, .ids_on_cmdline = old->ids.n > 0 };
        struct strv params = { 0 };
        char *ids = strv_join(&old->ids, ","), *list = NULL;
        int r;

        if (!ids)
                return -ENOMEM;
        in.ids = ids;
        r = wanted_params(&in, &params);
        if (r >= 0 && !(list = strv_join(&params, " ")))
                r = -ENOMEM;
        if (r >= 0 && old->ids.n)
                r = ctx_manual(ctx, "if you added them by hand, remove from your boot loader's kernel command line: %s",
                               list);
        free(ids);
        free(list);
        strv_free(&params);
        return r;
}

static int emit_unknown_bootloader(struct plan_ctx *ctx)
{
        if (ctx->sel->release)
                return release_by_hand(ctx);
        return params_by_hand(ctx, "your boot loader (it was not recognised; " REMEDY(NAME_BOOTLOADER) ")");
}

static int emit_efistub(struct plan_ctx *ctx)
{
        bool found;
        int r = emit_kernel_cmdline_file(ctx, false, &found);

        if (r < 0 || found)
                return r;
        return params_by_hand(ctx, "the firmware's boot entry (efibootmgr) or of your unified kernel images");
}

static int emit_unknown_initramfs(struct plan_ctx *ctx)
{
        char *modules = strv_join(&ctx->want.modules, " ");
        int r = 0;

        if (!modules)
                return -ENOMEM;
        if (*modules)
                r = ctx_manual(ctx, "load these modules early in your initramfs, before any GPU driver: %s", modules);
        free(modules);
        return r;
}

/* NixOS builds /etc from configuration.nix: the same settings, as Nix. */
static int quoted_list(const struct strv *l, char **ret)
{
        struct strv q = { 0 };
        int r = 0;

        for (size_t i = 0; i < l->n && r >= 0; i++)
                r = strv_pushf(&q, "\"%s\"", l->v[i]);
        if (r >= 0 && !(*ret = strv_join(&q, " ")))
                r = -ENOMEM;
        strv_free(&q);
        return r;
}

/*
 * NixOS runs boot.initrd.preDeviceCommands after loading boot.initrd.kernelModules (vfio-pci)
 * and before udev loads any other driver: there the devices bound by address get their
 * driver_override, and a probe that vfio-pci answers.
 */
static int manual_override(struct plan_ctx *ctx)
{
        char *addresses = strv_join(&ctx->plan->by_address, " ");
        int r;

        if (!addresses)
                return -ENOMEM;
        r = ctx_manual(ctx, "NixOS: the host keeps devices with the same ids, so these go by address; add:\n"
                            "  boot.initrd.preDeviceCommands = ''\n"
                            "    for dev in %s; do\n"
                            "      echo vfio-pci > /sys/bus/pci/devices/$dev/driver_override\n"
                            "      echo $dev > /sys/bus/pci/drivers_probe\n"
                            "    done\n"
                            "  '';",
                       addresses);
        free(addresses);
        return r;
}

int emit_manual(struct plan_ctx *ctx)
{
        char *params = NULL, *modules = NULL, *modprobe = NULL, *next;
        int r;

        if (ctx->sel->release)
                return ctx_manual(ctx, "NixOS: remove the vfio-setup lines from configuration.nix, then run "
                                       "nixos-rebuild boot and reboot");
        r = quoted_list(&ctx->want.params, &params);
        if (r >= 0)
                r = quoted_list(&ctx->want.modules, &modules);
        if (r >= 0 && asprintf(&modprobe, *ctx->want.ids ? "options vfio-pci ids=%s" : "%s", ctx->want.ids) < 0)
                r = -ENOMEM;
        for (size_t i = 0; i < ctx->want.softdeps.n && r >= 0; i++) {
                if (asprintf(&next, "%s%ssoftdep %s pre: vfio-pci", modprobe, *modprobe ? "\n    " : "",
                             ctx->want.softdeps.v[i]) < 0)
                        r = -ENOMEM;
                else {
                        free(modprobe);
                        modprobe = next;
                }
        }
        if (r >= 0)
                r = ctx_manual(ctx,
                               "NixOS: add to configuration.nix, then run nixos-rebuild boot and reboot:\n"
                               "  boot.kernelParams = [ %s ];\n"
                               "  boot.initrd.kernelModules = [ %s ];\n"
                               "  boot.extraModprobeConfig = ''\n    %s\n  '';",
                               params, modules, ctx->want.modprobe ? modprobe : "");
        if (r >= 0 && ctx->plan->by_address.n)
                r = manual_override(ctx);
        free(params);
        free(modules);
        free(modprobe);
        return r;
}

const struct emitter unknown_bootloader_emitter = { emit_unknown_bootloader };
const struct emitter efistub_emitter = { emit_efistub };
const struct emitter unknown_initramfs_emitter = { emit_unknown_initramfs };
