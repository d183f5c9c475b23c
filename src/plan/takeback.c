/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/params.h"
#include "vfio-setup/strbuf.h"

/*
 * Drivers the passed devices share with the kernel or with the host.  A driver built into the
 * kernel binds its devices as the kernel starts, before any module loads: vfio-pci's softdeps and
 * install lines come too late for it, and a blacklist does nothing.  A driver the host's own
 * devices need must never be blacklisted: rd.driver.blacklist keeps it from every device in the
 * initramfs (the keyboard at a LUKS prompt).  Where the initramfs is the image's (rpm-ostree),
 * that leaves a shared driver free to take the passed device first.  Those passed devices are
 * taken back in the real root, early, before the display manager: a service gives each to
 * vfio-pci by address (driver_override, unbind, drivers_probe) and checks that it took it.
 */
#define TAKEBACK_UNIT "etc/systemd/system/vfio-setup-takeback.service"
#define TAKEBACK_WANTS "etc/systemd/system/sysinit.target.d/vfio-setup-takeback.conf"

static const char *const module_roots[] = { "lib/modules", "usr/lib/modules" };
static const char *const systemd_binaries[] = { "usr/lib/systemd/systemd", "lib/systemd/systemd" };

/* "kernel/drivers/usb/host/xhci-pci.ko.zst" -> "xhci_pci": module names use '_' for '-'. */
static char *module_of(const char *path)
{
        const char *base = strrchr(path, '/');
        char *name = strndup(base ? base + 1 : path, strcspn(base ? base + 1 : path, "."));

        for (char *p = name; p && *p; p++)
                if (*p == '-')
                        *p = '_';
        return name;
}

/* "MODULE KERNEL" for every module built into an installed kernel (modules.builtin of each). */
static int read_builtin(struct plan_ctx *ctx)
{
        int r = 0;

        ctx->builtin_read = true;
        for (size_t d = 0; d < sizeof(module_roots) / sizeof(module_roots[0]) && r >= 0; d++) {
                struct strv kernels = { 0 };

                if (sysroot_list(ctx->sr, module_roots[d], &kernels) < 0)
                        continue;
                for (size_t k = 0; k < kernels.n && r >= 0; k++) {
                        char path[512], *text, *save = NULL;

                        snprintf(path, sizeof(path), "%s/%s/modules.builtin", module_roots[d], kernels.v[k]);
                        if (sysroot_read(ctx->sr, path, 1u << 20, &text, NULL) < 0)
                                continue;
                        for (char *line = strtok_r(text, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                                char *name = module_of(line);

                                r = name ? strv_pushf(&ctx->builtin, "%s %s", name, kernels.v[k]) : -ENOMEM;
                                free(name);
                        }
                        free(text);
                }
                strv_free(&kernels);
        }
        return r;
}

/* The first installed kernel that builds the module in, or NULL. */
static const char *builtin_in(const struct plan_ctx *ctx, const char *module)
{
        size_t len = strlen(module);

        for (size_t i = 0; i < ctx->builtin.n; i++)
                if (strncmp(ctx->builtin.v[i], module, len) == 0 && ctx->builtin.v[i][len] == ' ')
                        return ctx->builtin.v[i] + len + 1;
        return NULL;
}

/* The drivers of the devices the host keeps, and for each the first such device. */
static int host_drivers(const struct plan_ctx *ctx, struct strv *drivers, struct strv *holders)
{
        const struct machine *m = ctx->m;
        int r = 0;

        for (size_t i = 0; i < m->n_devices && r >= 0; i++) {
                const struct pci_device *d = &m->devices[i];
                struct strv mods = { 0 };

                if (strv_contains(&ctx->plan->devices, d->address) || !d->class_known ||
                    pci_class_is_host_side_bridge(d->class_id))
                        continue;
                r = wanted_softdeps(d, &mods);
                if (r >= 0 && d->driver_module && !strv_contains(&mods, d->driver_module))
                        r = strv_push(&mods, d->driver_module);
                for (size_t k = 0; k < mods.n && r >= 0; k++)
                        if (!strv_contains(drivers, mods.v[k]) && (r = strv_push(drivers, mods.v[k])) >= 0)
                                r = strv_push(holders, d->address);
                strv_free(&mods);
        }
        return r;
}

int want_takeback(struct plan_ctx *ctx)
{
        bool early = bootloader_emitter(ctx->bootloader)->early_by_cmdline;
        struct strv drivers = { 0 }, holders = { 0 };
        int r = 0;

        if (ctx_hands_over(ctx))
                return 0;
        if (!ctx->builtin_read)
                r = read_builtin(ctx);
        if (r >= 0)
                r = host_drivers(ctx, &drivers, &holders);
        /* claims holds one list a device of plan.devices, in the same order. */
        for (size_t i = 0; i < ctx->plan->devices.n && i < ctx->n_claims && r >= 0; i++) {
                const char *dev = ctx->plan->devices.v[i];
                bool back = false;

                for (size_t k = 0; k < ctx->claims[i].n && r >= 0; k++) {
                        const char *mod = ctx->claims[i].v[k], *kernel = builtin_in(ctx, mod), *holder = NULL;

                        for (size_t h = 0; h < drivers.n && !holder; h++)
                                if (strcmp(drivers.v[h], mod) == 0)
                                        holder = holders.v[h];
                        /* Kept from every blacklist: the kernel has it anyway, or the host needs it. */
                        if ((kernel || holder) && !strv_contains(&ctx->keep_drivers, mod))
                                r = strv_push(&ctx->keep_drivers, mod);
                        if (r >= 0 && kernel) {
                                back = true;
                                r = ctx_warn(ctx, "%s: %s is built into the kernel %s, so it takes the device as the "
                                                  "kernel starts, before vfio-pci can; a service gives the device to "
                                                  "vfio-pci early in the boot, before the display manager",
                                             dev, mod, kernel);
                        } else if (r >= 0 && holder && early) {
                                back = true;
                                r = ctx_warn(ctx, "%s: %s also drives %s, which the host keeps, so it stays out of "
                                                  "rd.driver.blacklist; where the image's initramfs loads it first, a "
                                                  "service gives %s to vfio-pci early in the boot, before the display "
                                                  "manager",
                                             dev, mod, holder, dev);
                        }
                }
                if (r >= 0 && back)
                        r = strv_push(&ctx->takeback, dev);
        }
        strv_free(&drivers);
        strv_free(&holders);
        return r;
}

static char *script(const struct strv *addresses, bool trial)
{
        struct strbuf b = { 0 };
        char *text;

        strbuf_printf(&b, "#!/bin/sh\n"
                          "# Written by vfio-setup for GPU passthrough; 'vfio-setup plan --release' removes it.\n"
                          "# A driver built into the kernel, or one the host's devices share, may hold these devices:\n"
                          "# each goes to vfio-pci by address. module_blacklist=vfio_pci at the boot menu leaves them.\n"
                          "%sdevices=\"", trial ? TRIAL_GUARD : "");
        for (size_t i = 0; i < addresses->n; i++)
                strbuf_printf(&b, "%s%s", i ? " " : "", addresses->v[i]);
        strbuf_printf(&b, "\"\n"
                          "sys=/sys\n"
                          "put() {\n"
                          "\tprintf '%%s\\n' \"$2\" 2>/dev/null >\"$1\"\n"
                          "}\n"
                          "driver() {\n"
                          "\tlink=$(readlink \"$sys/bus/pci/devices/$1/driver\" 2>/dev/null)\n"
                          "\techo \"${link##*/}\"\n"
                          "}\n"
                          "modprobe vfio-pci 2>/dev/null\n"
                          "[ -d \"$sys/bus/pci/drivers/vfio-pci\" ] || exit 0\n"
                          "status=0\n"
                          "for dev in $devices; do\n"
                          "\t[ -e \"$sys/bus/pci/devices/$dev\" ] || continue\n"
                          "\twas=$(driver \"$dev\")\n"
                          "\t[ \"$was\" = vfio-pci ] && continue\n"
                          "\tput \"$sys/bus/pci/devices/$dev/driver_override\" vfio-pci\n"
                          "\t[ -n \"$was\" ] && put \"$sys/bus/pci/drivers/$was/unbind\" \"$dev\"\n"
                          "\tput \"$sys/bus/pci/drivers_probe\" \"$dev\"\n"
                          "\t[ \"$(driver \"$dev\")\" = vfio-pci ] && continue\n"
                          "\t# Not taken: the device goes back to its own driver rather than to none.\n"
                          "\techo \"vfio-setup: vfio-pci did not take $dev; it goes back to ${was:-no driver}\" >&2\n"
                          "\tput \"$sys/bus/pci/devices/$dev/driver_override\" \"\"\n"
                          "\tput \"$sys/bus/pci/drivers_probe\" \"$dev\"\n"
                          "\tstatus=1\n"
                          "done\n"
                          "exit $status\n");
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}

static const char unit[] =
        "# Written by vfio-setup for GPU passthrough; 'vfio-setup plan --release' removes it.\n"
        "[Unit]\n"
        "Description=Give the passed devices to vfio-pci (vfio-setup)\n"
        "DefaultDependencies=no\n"
        "After=systemd-modules-load.service local-fs.target\n"
        "Before=sysinit.target display-manager.service\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        "ExecStart=/bin/sh /" TAKEBACK_SCRIPT "\n";

/* systemd.unit(5): a drop-in's Wants= is the unit's [Install] without a link to make. */
static const char wants[] =
        "# Written by vfio-setup for GPU passthrough; 'vfio-setup plan --release' removes it.\n"
        "[Unit]\n"
        "Wants=vfio-setup-takeback.service\n";

int emit_takeback(struct plan_ctx *ctx)
{
        bool on = !ctx->sel->release && ctx->takeback.n > 0, systemd = false, changed;
        char *text = NULL;
        int r;

        for (size_t i = 0; i < sizeof(systemd_binaries) / sizeof(systemd_binaries[0]); i++)
                systemd |= sysroot_exists(ctx->sr, systemd_binaries[i]);
        if (on && !systemd) {
                char *list = strv_join(&ctx->takeback, " ");

                r = list ? ctx_manual(ctx, "give %s to vfio-pci at every boot, before anything uses them: run /%s "
                                           "from your init system's early boot scripts (this system has no systemd)",
                                      list, TAKEBACK_SCRIPT)
                         : -ENOMEM;
                free(list);
                if (r < 0)
                        return r;
        }
        if (on && !(text = script(&ctx->takeback, ctx->trial)))
                return -ENOMEM;
        r = ctx_own_file_mode(ctx, TAKEBACK_SCRIPT, text, 0755, &changed);
        free(text);
        if (r >= 0)
                r = ctx_own_file(ctx, TAKEBACK_UNIT, on && systemd ? unit : NULL, &changed);
        if (r >= 0)
                r = ctx_own_file(ctx, TAKEBACK_WANTS, on && systemd ? wants : NULL, &changed);
        return r;
}
