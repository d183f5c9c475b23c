/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/strbuf.h"
#include "vfio-setup/users.h"
#include "vfio-setup/errors.h"

/*
 * Looking Glass shows the guest's frames on the host through shared memory:
 * either a file in /dev/shm that systemd-tmpfiles creates for the user who
 * runs the client (group kvm, so QEMU can open it too), or the kvmfr module's
 * /dev/kvmfr0 (DMA-BUF, faster), whose size is a module option.  Files as
 * Looking Glass's documentation gives them (install.rst, module.rst).
 */
#define TMPFILES "etc/tmpfiles.d/10-looking-glass.conf"
#define KVMFR_OPTIONS "etc/modprobe.d/kvmfr.conf"
#define KVMFR_LOAD "etc/modules-load.d/kvmfr.conf"
#define KVMFR_UDEV "etc/udev/rules.d/99-kvmfr.rules"
#define HEADER "# Written by vfio-setup for Looking Glass; 'vfio-setup plan --release' removes it.\n"

static int own(struct plan_ctx *ctx, bool *ret_changed, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int own(struct plan_ctx *ctx, bool *ret_changed, const char *path, const char *fmt, ...)
{
        char *body = NULL, *text = NULL;
        va_list ap;
        bool changed = false;
        int r = 0;

        if (fmt) {
                va_start(ap, fmt);
                r = vasprintf(&body, fmt, ap) < 0 || asprintf(&text, HEADER "%s", body) < 0 ? -ENOMEM : 0;
                va_end(ap);
        }
        if (r >= 0)
                r = ctx_own_file(ctx, path, text, &changed);
        free(body);
        free(text);
        if (r >= 0 && ret_changed)
                *ret_changed = changed;
        return r;
}

/* In the state, so that a re-run of the wizard starts from these choices. */
static int record(struct tool_state *next, const struct looking_glass *lg, unsigned width, unsigned height,
                  const char *user)
{
        int r;

        r = strv_push(&next->goals, "looking-glass");
        if (r >= 0)
                r = strv_pushf(&next->looking_glass, "%ux%u", width, height);
        if (r >= 0)
                r = strv_push(&next->looking_glass, lg->kvmfr ? "kvmfr" : "shm");
        if (r >= 0)
                r = strv_push(&next->looking_glass, user);
        /* Only said for HDR, so that the states of SDR setups read as before. */
        if (r >= 0 && lg->hdr)
                r = strv_push(&next->looking_glass, "hdr");
        return r;
}

int emit_looking_glass(struct plan_ctx *ctx)
{
        const struct looking_glass *lg = &ctx->sel->lg;
        bool on = !ctx->sel->release && (ctx->sel->goals & (1u << GOAL_LOOKING_GLASS));
        /* A Proxmox VE guest's shared memory is QEMU's own file (ivshmem): nothing to make for it here. */
        bool shm = on && !lg->kvmfr && !ctx->sel->proxmox.n, kvmfr = on && lg->kvmfr;
        const char *user = lg->user;
        char *tmpfiles_user = NULL, *udev_user = NULL;
        bool changed = false;
        unsigned width, height, mb;
        uid_t uid;
        int r;

        looking_glass_resolution(lg, &width, &height);
        mb = looking_glass_size_mb(width, height, lg->hdr);

        if (on && (!user || !*user || strcmp(user, "root") == 0))
                return ctx_refuse(ctx, -VS_E_SELECTION, "Looking Glass: no user to own the shared memory; %s",
                                  REMEDY(LG_USER));
        /* A name written into tmpfiles.d or a udev rule that no account has would leave the memory root's. */
        if (on && user_uid(ctx->sr, user, &uid) == -ESRCH)
                return ctx_refuse(ctx, -VS_E_SELECTION, "Looking Glass: there is no user %s in /etc/passwd; %s", user,
                                  REMEDY(LG_USER));
        /* The user's name is the tree's: a field tmpfiles.d splits as systemd does, a quoted udev value. */
        if (on) {
                struct strbuf field = { 0 }, udev = { 0 };

                if (escape_systemd_field(&field, user) < 0 || (escape_udev_value(&udev, user) < 0 && kvmfr)) {
                        bool control = field.len == 0;

                        free(field.s);
                        free(udev.s);
                        return ctx_refuse(ctx, -VS_E_SELECTION, "Looking Glass: the user name \"%s\" holds %s, which %s "
                                          "cannot hold; choose another user%s",
                                          user, control ? "a control character" : "a quote or a backslash",
                                          control ? "tmpfiles.d" : "a udev rule", control ? "" : ", or /dev/shm instead of kvmfr");
                }
                strbuf_printf(&udev, "%s", "");
                r = strbuf_finish(&field, &tmpfiles_user);
                if (strbuf_finish(&udev, &udev_user) < 0)
                        r = -ENOMEM;
                if (r < 0) {
                        free(tmpfiles_user);
                        return r;
                }
        }
        r = own(ctx, &changed, TMPFILES, shm ? "f /dev/shm/looking-glass 0660 %s kvm -\n" : NULL, tmpfiles_user);
        /*
         * Creates the file now rather than at the next boot.  By prefix, not by the
         * configuration file: undo runs the command again once the file is gone, and
         * there it must do nothing rather than fail.
         */
        if (r >= 0 && shm && changed)
                r = ctx_command(ctx, "systemd-tmpfiles", "--create", "--prefix=/dev/shm/looking-glass", (char *)NULL);
        if (r >= 0)
                r = own(ctx, NULL, KVMFR_OPTIONS, kvmfr ? "options kvmfr static_size_mb=%u\n" : NULL, mb);
        if (r >= 0)
                r = own(ctx, NULL, KVMFR_LOAD, kvmfr ? "kvmfr\n" : NULL);
        if (r >= 0)
                r = own(ctx, NULL, KVMFR_UDEV, kvmfr ? "SUBSYSTEM==\"kvmfr\", OWNER=%s, GROUP=\"kvm\", MODE=\"0660\"\n" : NULL,
                        udev_user);
        if (r >= 0 && kvmfr)
                r = ctx_warn(ctx, "kvmfr is not part of the kernel: install Looking Glass's module (its DKMS package) "
                                  "before rebooting");
        /* libvirt's QEMU runs in a device cgroup that lets only its default list through. */
        if (r >= 0 && kvmfr)
                r = ctx_manual(ctx, "kvmfr: add \"/dev/kvmfr0\" to cgroup_device_acl in /etc/libvirt/qemu.conf (keep the "
                                    "default entries of that list) and restart libvirtd, or the guest cannot open it");
        if (on) {
                ctx->plan->lg_size_mb = mb;
                ctx->plan->lg_kvmfr = kvmfr;
        }
        if (r >= 0 && on)
                r = record(&ctx->next, lg, width, height, user);
        if (r >= 0 && on && !ctx->sel->proxmox.n)
                r = ctx_manual(ctx, "Looking Glass: %u MiB of shared memory for %ux%u %s; " REMEDY(LG_XML),
                               mb, width, height, lg->hdr ? "HDR" : "SDR");
        free(tmpfiles_user);
        free(udev_user);
        return r;
}
