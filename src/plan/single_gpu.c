/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/strbuf.h"

/*
 * Single-GPU mode: the host keeps its only GPU until one libvirt guest starts.
 * libvirt (6.5.0 and later) runs every executable in /etc/libvirt/hooks/qemu.d
 * for each QEMU guest with the guest's name, the operation and its phase
 * (hooks.rst): "prepare begin" comes before libvirt touches any resource and
 * stops the start when the hook fails; "release end" comes once the guest's
 * resources are released.  The hook never calls virsh: libvirt waits for it,
 * and hooks.rst warns that a call back into libvirt from a hook deadlocks.
 * The devices go to vfio-pci through driver_override, unbind and drivers_probe
 * (sysfs-bus-pci ABI) and back the same way, so that nothing is bound to
 * vfio-pci at boot and the kernel's choice of driver is what they return to.
 */
#define HEADER "# Written by vfio-setup for single-GPU mode; 'vfio-setup plan --release' removes it.\n"

static const char hook_body[] =
        "[ \"$1\" = \"$guest\" ] || exit 0\n"
        "\n"
        "say() {\n"
        "\tprintf 'vfio-setup single-GPU hook for %s: %s\\n' \"$guest\" \"$*\" >&2\n"
        "}\n"
        "\n"
        "# One value into one sysfs file; the kernel's answer is the status.\n"
        "put() {\n"
        "\tprintf '%s\\n' \"$2\" 2>/dev/null >\"$1\"\n"
        "}\n"
        "\n"
        "# The name of the driver a PCI device is bound to; nothing when none.\n"
        "driver() {\n"
        "\tlink=$(readlink \"$sys/bus/pci/devices/$1/driver\" 2>/dev/null) || return 0\n"
        "\tprintf '%s\\n' \"${link##*/}\"\n"
        "}\n"
        "\n"
        "# What the host shows on, as it was before the first start: given back at the stop.\n"
        "record() {\n"
        "\tmkdir -p \"${state%/*}\" && : >\"$state.new\" || return 1\n"
        "\tif systemctl is-active --quiet display-manager.service; then\n"
        "\t\techo display-manager >>\"$state.new\"\n"
        "\tfi\n"
        "\tfor con in \"$sys\"/class/vtconsole/vtcon*; do\n"
        "\t\tif [ \"$(cat \"$con/bind\" 2>/dev/null)\" = 1 ]; then\n"
        "\t\t\techo \"vtconsole ${con##*/}\" >>\"$state.new\"\n"
        "\t\tfi\n"
        "\tdone\n"
        "\tfor fb in efi-framebuffer simple-framebuffer vesa-framebuffer; do\n"
        "\t\tfor dev in \"$sys/bus/platform/drivers/$fb\"/*.[0-9]*; do\n"
        "\t\t\tif [ -e \"$dev\" ]; then\n"
        "\t\t\t\techo \"framebuffer $fb ${dev##*/}\" >>\"$state.new\"\n"
        "\t\t\tfi\n"
        "\t\tdone\n"
        "\tdone\n"
        "\tmv -f \"$state.new\" \"$state\"\n"
        "}\n"
        "\n"
        "# Each device is written down, with its driver, before it is touched: the stop gives back what\n"
        "# the state says was taken, whatever the hook says now.\n"
        "take() {\n"
        "\tif [ ! -e \"$sys/bus/pci/devices/$1\" ]; then\n"
        "\t\tsay \"$1: no such PCI device\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\thad=$(driver \"$1\")\n"
        "\tgrep -q \"^device $1 \" \"$state\" || echo \"device $1 ${had:--}\" >>\"$state\" || return 1\n"
        "\tif ! put \"$sys/bus/pci/devices/$1/driver_override\" vfio-pci; then\n"
        "\t\tsay \"$1: its driver_override cannot be set\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\tif [ -n \"$had\" ] && [ \"$had\" != vfio-pci ] && ! put \"$sys/bus/pci/devices/$1/driver/unbind\" \"$1\"; then\n"
        "\t\tsay \"$1: $had does not let it go\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\tif [ \"$(driver \"$1\")\" != vfio-pci ]; then\n"
        "\t\tput \"$sys/bus/pci/drivers_probe\" \"$1\"\n"
        "\tfi\n"
        "\tif [ \"$(driver \"$1\")\" != vfio-pci ]; then\n"
        "\t\tsay \"$1: vfio-pci does not take it (bound to ${had:-no driver} before)\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "}\n"
        "\n"
        "# Back to the driver the kernel chooses for it, as at boot; to none when it had none.\n"
        "give() {\n"
        "\tput \"$sys/bus/pci/devices/$1/driver_override\" \"\" || say \"$1: its driver_override cannot be cleared\"\n"
        "\tif [ \"$(driver \"$1\")\" = vfio-pci ] && ! put \"$sys/bus/pci/drivers/vfio-pci/unbind\" \"$1\"; then\n"
        "\t\tsay \"$1: vfio-pci does not let it go\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\tif [ \"$2\" != - ] && [ -z \"$(driver \"$1\")\" ]; then\n"
        "\t\tput \"$sys/bus/pci/drivers_probe\" \"$1\"\n"
        "\tfi\n"
        "\treturn 0\n"
        "}\n"
        "\n"
        "start() {\n"
        "\tif [ ! -e \"$state\" ] && ! record; then\n"
        "\t\tsay \"cannot write $state\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\tif grep -qx display-manager \"$state\" && ! systemctl stop display-manager.service; then\n"
        "\t\tsay \"the display manager does not stop\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\twhile read -r what name dev; do\n"
        "\t\tcase $what in\n"
        "\t\tvtconsole) put \"$sys/class/vtconsole/$name/bind\" 0 || say \"$name: the console stays\" ;;\n"
        "\t\tframebuffer) put \"$sys/bus/platform/drivers/$name/unbind\" \"$dev\" || say \"$dev: $name keeps it\" ;;\n"
        "\t\tesac\n"
        "\tdone <\"$state\"\n"
        "\tif ! modprobe vfio-pci; then\n"
        "\t\tsay \"modprobe vfio-pci failed\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\tfor pci in $devices; do\n"
        "\t\ttake \"$pci\" || return 1\n"
        "\tdone\n"
        "}\n"
        "\n"
        "stop() {\n"
        "\t[ -e \"$state\" ] || return 0\n"
        "\tstatus=0\n"
        "\twhile read -r what pci had; do\n"
        "\t\tif [ \"$what\" = device ]; then\n"
        "\t\t\tgive \"$pci\" \"$had\" || status=1\n"
        "\t\tfi\n"
        "\tdone <\"$state\"\n"
        "\twhile read -r what name dev; do\n"
        "\t\tcase $what in\n"
        "\t\tframebuffer) [ -e \"$sys/bus/platform/drivers/$name/$dev\" ] || put \"$sys/bus/platform/drivers/$name/bind\" \"$dev\" ||\n"
        "\t\t\tsay \"$dev: $name does not take it back\" ;;\n"
        "\t\tesac\n"
        "\tdone <\"$state\"\n"
        "\twhile read -r what name dev; do\n"
        "\t\tcase $what in\n"
        "\t\tvtconsole) [ \"$(cat \"$sys/class/vtconsole/$name/bind\")\" = 1 ] || put \"$sys/class/vtconsole/$name/bind\" 1 ||\n"
        "\t\t\tsay \"$name: the console does not come back\" ;;\n"
        "\t\tesac\n"
        "\tdone <\"$state\"\n"
        "\tif grep -qx display-manager \"$state\" && ! systemctl start display-manager.service; then\n"
        "\t\tsay \"the display manager does not start\"\n"
        "\t\tstatus=1\n"
        "\tfi\n"
        "\trm -f \"$state\"\n"
        "\treturn \"$status\"\n"
        "}\n"
        "\n"
        "case \"$2 $3\" in\n"
        "\"prepare begin\")\n"
        "\tstart && exit 0\n"
        "\tsay \"the guest does not start: the devices go back to the host\"\n"
        "\tstop\n"
        "\texit 1\n"
        "\t;;\n"
        "\"release end\")\n"
        "\tstop\n"
        "\t;;\n"
        "esac\n"
        "exit 0\n";

static char *hook_script(const char *guest, const struct strv *devices)
{
        struct strbuf b = { 0 };
        char *text;

        strbuf_printf(&b, "#!/bin/sh\n" HEADER
                          "#\n"
                          "# libvirt runs it for every QEMU guest. Before guest %s starts it stops the display\n"
                          "# manager, takes the consoles and the firmware framebuffer off the GPU and hands the\n"
                          "# devices below to vfio-pci; after the guest stops it gives them back to the drivers the\n"
                          "# kernel chooses and starts the display manager again. A start that fails part-way gives\n"
                          "# everything back before libvirt hears of it. It never calls virsh: libvirt waits for its\n"
                          "# hooks, and a call back into it deadlocks.\n"
                          "guest=",
                      guest);
        escape_shell(&b, guest);
        strbuf_printf(&b, "\ndevices=\"");
        for (size_t i = 0; i < devices->n; i++)
                strbuf_printf(&b, "%s%s", i ? " " : "", devices->v[i]);
        strbuf_printf(&b, "\"\nsys=/sys\nstate=/run/vfio-setup/single-gpu-$guest\n\n%s", hook_body);
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}

int emit_single_gpu(struct plan_ctx *ctx)
{
        const char *guest = ctx->sel->release ? NULL : ctx->sel->single_gpu;
        char *text = NULL;
        bool changed;
        int r;

        if (guest && !libvirt_domain_name_ok(guest))
                return ctx_refuse(ctx, -VS_E_SELECTION, "single-GPU mode: \"%s\" is not a libvirt domain name vfio-setup "
                                  "writes into a script (letters, digits and . _ + - (not first), at most 64)", guest);
        if (guest && !(text = hook_script(guest, &ctx->plan->devices)))
                return -ENOMEM;
        r = ctx_own_file_mode(ctx, SINGLE_GPU_HOOK, text, 0755, &changed);
        free(text);
        if (r < 0 || !guest)
                return r;
        ctx->plan->single_gpu = strdup(guest);
        r = ctx->plan->single_gpu ? strv_push(&ctx->next.single_gpu, guest) : -ENOMEM;
        if (r >= 0)
                r = ctx_warn(ctx, "single-GPU mode: while %s runs the host has no display at all; the display manager "
                                  "stops and every graphical session in it ends. Keep a way in without a screen (ssh). "
                                  "If the guest hangs, \"virsh destroy %s\" from there gives the GPU back",
                             guest, guest);
        if (r >= 0 && ctx->m->n_gpus > 1)
                r = ctx_warn(ctx, "single-GPU mode on a machine with %zu GPUs: bound at boot instead (" REMEDY(NO_SINGLE_GPU) "), the devices would leave the host its display on another GPU", ctx->m->n_gpus);
        if (r >= 0 && !sysroot_exists(ctx->sr, "etc/libvirt"))
                r = ctx_warn(ctx, "single-GPU mode: libvirt is not installed (no /etc/libvirt); the hook only runs "
                                  "under libvirt's QEMU driver, 6.5.0 or later");
        if (r >= 0 && changed)
                r = ctx_manual(ctx, "restart libvirt's daemon (systemctl restart libvirtd, or virtqemud where the modular "
                                    "daemons run): it looks for hooks when it starts");
        if (r >= 0)
                r = ctx_manual(ctx, "single-GPU mode: the domain must be named %s and have the devices as <hostdev> "
                                    "(" REMEDY_WITH(DOMAIN_XML) "%s" REMEDY_END ")",
                               guest, guest);
        return r;
}
