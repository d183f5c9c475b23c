/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/handover.h"
#include "vfio-setup/strbuf.h"

/*
 * Handing devices between the host and a guest while the machine runs, in two modes that differ
 * only in the host's display: handover keeps it (the devices are a second GPU the host may use
 * for a screen or compute until the guest starts), single-GPU mode stops the display manager and
 * takes the consoles off the machine's only GPU.  One script does it for every front:
 *
 *  - libvirt (6.5.0 and later) runs every executable in its flat hooks/qemu.d for every QEMU
 *    guest with the guest's name, the operation and its phase (hooks.rst): "prepare begin" comes
 *    before libvirt touches any resource and stops the start when the hook fails; "release end"
 *    once the guest's resources are released.  A hook never calls virsh: libvirt waits for it,
 *    and hooks.rst warns that a call back into libvirt from a hook deadlocks.
 *  - Proxmox VE runs a guest's hookscript as "SCRIPT VMID PHASE" (GuestHelpers.pm
 *    exec_hookscript) from a snippets volume that must exist and be executable
 *    (check_hookscript); a failed pre-start stops the start.  Proxmox binds the devices to
 *    vfio-pci itself at the start and never gives them back: post-stop does.
 *  - vfio-setup's bind and release run it with "bind" or "release", for plain QEMU.
 *
 * The devices go to vfio-pci through driver_override, unbind and drivers_probe, and back to the
 * driver each had through that driver's bind (sysfs-bus-pci ABI), so that nothing is bound at
 * boot.  What was taken is written down in /run before it is touched: a start that fails part
 * way gives back what the record says, and so does a later release or start after a crash.
 * Before anything is taken the script looks for what uses the devices (programs holding their
 * DRM or NVIDIA nodes, read from /proc/PID/fd; nvidia-persistenced; the framebuffer console; a
 * guest holding the group's VFIO node) and refuses, naming them, rather than end a session.
 */
static const char handover_body[] =
        "say() {\n"
        "\tprintf 'vfio-setup handover%s: %s\\n' \"${guest:+ for $guest}\" \"$*\" >&2\n"
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
        "# Each program holding one of the device nodes given (find's -lname tests): \"NAME (pid N) holds NODE\".\n"
        "holders() {\n"
        "\t[ $# -gt 0 ] || return 0\n"
        "\tfind \"$proc\"/[0-9]*/fd -mindepth 1 -maxdepth 1 \\( \"$@\" \\) 2>/dev/null | while read -r fd; do\n"
        "\t\tpid=${fd#\"$proc\"/}\n"
        "\t\tpid=${pid%%/*}\n"
        "\t\tprintf '%s (pid %s) holds %s\\n' \"$(cat \"$proc/$pid/comm\" 2>/dev/null)\" \"$pid\" \"$(readlink \"$fd\")\"\n"
        "\tdone | sort -u\n"
        "}\n"
        "\n"
        "# Programs holding the VFIO node of a device's IOMMU group: a guest that has it.\n"
        "guests() {\n"
        "\tset --\n"
        "\tfor pci in $devices; do\n"
        "\t\tlink=$(readlink \"$sys/bus/pci/devices/$pci/iommu_group\" 2>/dev/null) || continue\n"
        "\t\t[ $# -eq 0 ] || set -- \"$@\" -o\n"
        "\t\tset -- \"$@\" -lname \"/dev/vfio/${link##*/}\"\n"
        "\tdone\n"
        "\tholders \"$@\"\n"
        "}\n"
        "\n"
        "# What keeps the devices from the guest, a line each: programs holding their DRM or NVIDIA nodes,\n"
        "# nvidia-persistenced, and (where the host keeps its display) the boot display and the console on one.\n"
        "users() {\n"
        "\tset --\n"
        "\tfor pci in $devices; do\n"
        "\t\tdev=$sys/bus/pci/devices/$pci\n"
        "\t\tfor node in \"$dev\"/drm/card* \"$dev\"/drm/renderD*; do\n"
        "\t\t\t[ -e \"$node\" ] || continue\n"
        "\t\t\t[ $# -eq 0 ] || set -- \"$@\" -o\n"
        "\t\t\tset -- \"$@\" -lname \"/dev/dri/${node##*/}\"\n"
        "\t\tdone\n"
        "\t\tminor=$(sed -n 's/^Device Minor:[[:space:]]*//p' \"$proc/driver/nvidia/gpus/$pci/information\" 2>/dev/null)\n"
        "\t\tif [ -n \"$minor\" ]; then\n"
        "\t\t\t[ $# -eq 0 ] || set -- \"$@\" -o\n"
        "\t\t\tset -- \"$@\" -lname \"/dev/nvidia$minor\"\n"
        "\t\tfi\n"
        "\t\tif [ \"$(driver \"$pci\")\" = nvidia ] && grep -qsx nvidia-persistenced \"$proc\"/[0-9]*/comm; then\n"
        "\t\t\techo \"nvidia-persistenced keeps the NVIDIA driver on $pci (systemctl stop nvidia-persistenced)\"\n"
        "\t\tfi\n"
        "\t\t[ \"$display\" = keep ] || continue\n"
        "\t\tif [ \"$(cat \"$dev/boot_vga\" 2>/dev/null)\" = 1 ]; then\n"
        "\t\t\techo \"$pci is the host's boot display\"\n"
        "\t\tfi\n"
        "\t\tfb=$(readlink \"$sys/class/graphics/fb0/device\" 2>/dev/null)\n"
        "\t\tfor con in \"$sys\"/class/vtconsole/vtcon*; do\n"
        "\t\t\tif [ \"${fb##*/}\" = \"$pci\" ] && [ \"$(cat \"$con/bind\" 2>/dev/null)\" = 1 ] &&\n"
        "\t\t\t\tgrep -qs 'frame buffer' \"$con/name\"; then\n"
        "\t\t\t\techo \"the framebuffer console is on $pci\"\n"
        "\t\t\tfi\n"
        "\t\tdone\n"
        "\tdone\n"
        "\tholders \"$@\"\n"
        "}\n"
        "\n"
        "# Refuses, naming them, while users are left; after the display manager stopped its session\n"
        "# may take a few seconds to let go.\n"
        "unused() {\n"
        "\ttries=$1\n"
        "\twhile busy=$(users) && [ -n \"$busy\" ]; do\n"
        "\t\ttries=$((tries - 1))\n"
        "\t\tif [ \"$tries\" -le 0 ]; then\n"
        "\t\t\tsay \"$gpu is in use, so the guest does not get it:\"\n"
        "\t\t\tprintf '%s\\n' \"$busy\" | sed 's/^/  /' >&2\n"
        "\t\t\tsay \"close what uses it (the program, the session on it, the service), then start again\"\n"
        "\t\t\treturn 1\n"
        "\t\tfi\n"
        "\t\tsleep 1\n"
        "\tdone\n"
        "}\n"
        "\n"
        "# Who took the devices and, where the display goes too, what the host shows on, as it was.\n"
        "record() {\n"
        "\techo \"guest ${guest:--}\" >\"$state.new\" || return 1\n"
        "\tif [ \"$display\" = stop ]; then\n"
        "\t\tif systemctl is-active --quiet display-manager.service; then\n"
        "\t\t\techo display-manager >>\"$state.new\"\n"
        "\t\tfi\n"
        "\t\tfor con in \"$sys\"/class/vtconsole/vtcon*; do\n"
        "\t\t\tif [ \"$(cat \"$con/bind\" 2>/dev/null)\" = 1 ]; then\n"
        "\t\t\t\techo \"vtconsole ${con##*/}\" >>\"$state.new\"\n"
        "\t\t\tfi\n"
        "\t\tdone\n"
        "\t\tfor fb in efi-framebuffer simple-framebuffer vesa-framebuffer; do\n"
        "\t\t\tfor dev in \"$sys/bus/platform/drivers/$fb\"/*.[0-9]*; do\n"
        "\t\t\t\tif [ -e \"$dev\" ]; then\n"
        "\t\t\t\t\techo \"framebuffer $fb ${dev##*/}\" >>\"$state.new\"\n"
        "\t\t\t\tfi\n"
        "\t\t\tdone\n"
        "\t\tdone\n"
        "\tfi\n"
        "\tmv -f \"$state.new\" \"$state\"\n"
        "}\n"
        "\n"
        "# Each device is written down, with its driver, before it is touched: what gives back reads the\n"
        "# record, whatever the script says now.\n"
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
        "# Back to the driver it had (none: none); the kernel's choice where that driver is gone.\n"
        "give() {\n"
        "\tput \"$sys/bus/pci/devices/$1/driver_override\" \"\" || say \"$1: its driver_override cannot be cleared\"\n"
        "\t[ \"$2\" != vfio-pci ] || return 0\n"
        "\tif [ \"$(driver \"$1\")\" = vfio-pci ] && ! put \"$sys/bus/pci/drivers/vfio-pci/unbind\" \"$1\"; then\n"
        "\t\tsay \"$1: vfio-pci does not let it go\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\t[ \"$2\" != - ] || return 0\n"
        "\tif [ -z \"$(driver \"$1\")\" ] && ! put \"$sys/bus/pci/drivers/$2/bind\" \"$1\"; then\n"
        "\t\tput \"$sys/bus/pci/drivers_probe\" \"$1\"\n"
        "\tfi\n"
        "\tnow=$(driver \"$1\")\n"
        "\tif [ \"$now\" != \"$2\" ]; then\n"
        "\t\tsay \"$1: back on ${now:-no driver}, not on $2 as before\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "}\n"
        "\n"
        "start() {\n"
        "\theld=$(guests)\n"
        "\tif [ -n \"$held\" ]; then\n"
        "\t\tsay \"a guest has $gpu already:\"\n"
        "\t\tprintf '%s\\n' \"$held\" | sed 's/^/  /' >&2\n"
        "\t\treturn 2\n"
        "\tfi\n"
        "\tif [ -e \"$state\" ]; then\n"
        "\t\tsay \"$state is left from a start that did not end: what it took goes back first\"\n"
        "\t\tstop || return 2\n"
        "\tfi\n"
        "\tif [ \"$display\" = keep ] && ! unused 1; then\n"
        "\t\treturn 2\n"
        "\tfi\n"
        "\tif ! record; then\n"
        "\t\tsay \"cannot write $state\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\tif grep -qx display-manager \"$state\" && ! systemctl stop display-manager.service; then\n"
        "\t\tsay \"the display manager does not stop\"\n"
        "\t\treturn 1\n"
        "\tfi\n"
        "\tif [ \"$display\" = stop ] && ! unused 10; then\n"
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
        "\theld=$(guests)\n"
        "\tif [ -n \"$held\" ]; then\n"
        "\t\tsay \"$gpu stays with vfio-pci: a guest still has it:\"\n"
        "\t\tprintf '%s\\n' \"$held\" | sed 's/^/  /' >&2\n"
        "\t\treturn 1\n"
        "\tfi\n"
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
        "# A start that fails gives back what it took; one refused (2) took nothing.\n"
        "take_all() {\n"
        "\tstart\n"
        "\tcase $? in\n"
        "\t0) return 0 ;;\n"
        "\t2) say \"the guest does not start: nothing was taken\" ;;\n"
        "\t*) say \"the guest does not start: the devices go back to the host\"\n"
        "\t   stop ;;\n"
        "\tesac\n"
        "\treturn 1\n"
        "}\n"
        "\n"
        "# Two runs at once (two guests, a hook and a release) take turns.\n"
        "mkdir -p \"$run\" || exit 1\n"
        "exec 9>>\"$run/lock\"\n"
        "if command -v flock >/dev/null && ! flock -w 120 9; then\n"
        "\tsay \"another handover holds $run/lock\"\n"
        "\texit 1\n"
        "fi\n"
        "\n";

/* How each front calls the script, and which of its phases take and give back. */
static const struct front {
        const char *intro;      /* who runs it, for the script's comment */
        const char *dispatch;
} fronts[_HANDOVER_FRONT_MAX] = {
        [HANDOVER_LIBVIRT] = {
                "libvirt runs it for every QEMU guest with the guest's name, the operation and its phase. It never\n"
                "# calls virsh: libvirt waits for its hooks, and a call back into it deadlocks.",
                "case \"$2 $3\" in\n"
                "\"prepare begin\") take_all || exit 1 ;;\n"
                "\"release end\") stop ;;\n"
                "esac\n"
                "exit 0\n",
        },
        [HANDOVER_PROXMOX] = {
                "Proxmox VE runs it as the guest's hookscript with the guest's id and the phase.",
                "case \"$2\" in\n"
                "pre-start) take_all || exit 1 ;;\n"
                "post-stop) stop || exit 1 ;;\n"
                "esac\n"
                "exit 0\n",
        },
        [HANDOVER_BY_HAND] = {
                "vfio-setup bind and release run it with bind or release.",
                "case \"$1\" in\n"
                "bind) take_all || exit 1 ;;\n"
                "release) stop || exit 1 ;;\n"
                "esac\n"
                "exit 0\n",
        },
};

int handover_script(const struct handover_spec *s, char **ret)
{
        struct strbuf b = { 0 };
        const char *gpu = s->devices->n ? s->devices->v[0] : "";

        if (s->front < 0 || s->front >= _HANDOVER_FRONT_MAX || !s->devices->n)
                return -EINVAL;
        strbuf_printf(&b, "#!/bin/sh\n# Written by vfio-setup: %s; 'vfio-setup plan --release' removes it.\n#\n# %s\n",
                      s->stop_display ? "single-GPU mode" : "handover", fronts[s->front].intro);
        if (s->stop_display)
                strbuf_printf(&b, "# Before the guest starts it stops the display manager, takes the consoles and the firmware\n"
                                  "# framebuffer off the GPU and hands the devices below to vfio-pci; after the guest stops it\n"
                                  "# gives them back to the drivers they had and starts the display manager again.\n");
        else
                strbuf_printf(&b, "# Before the guest starts it hands the devices below to vfio-pci, unless something on the\n"
                                  "# host uses them (it names what, and the guest does not start); after the guest stops it\n"
                                  "# gives them back to the drivers they had. The host's display is not touched.\n");
        strbuf_printf(&b, "# A start that fails part-way gives everything back; what was taken is in $run until then.\n");
        if (s->guest) {
                strbuf_printf(&b, "guest=");
                escape_shell(&b, s->guest);
                strbuf_printf(&b, "\n[ \"$1\" = \"$guest\" ] || exit 0\n");
        } else
                strbuf_printf(&b, "guest=\n");
        strbuf_printf(&b, "gpu=%s\ndevices=\"", gpu);
        for (size_t i = 0; i < s->devices->n; i++)
                strbuf_printf(&b, "%s%s", i ? " " : "", s->devices->v[i]);
        strbuf_printf(&b, "\"\ndisplay=%s\nsys=/sys\nproc=/proc\nrun=/run/vfio-setup\nstate=$run/" HANDOVER_RECORD_PREFIX
                          "$gpu\n\n%s%s",
                      s->stop_display ? "stop" : "keep", handover_body, fronts[s->front].dispatch);
        return strbuf_finish(&b, ret);
}

/* Proxmox VE's guests take a hookscript from a snippets volume; "local" is /var/lib/vz on every host. */
#define PROXMOX_SNIPPET PROXMOX_SNIPPETS "vfio-setup-handover-%s.sh"
#define PROXMOX_VOLUME "local:snippets/vfio-setup-handover-%s.sh"

int handover_proxmox_volume(const char *vmid, char **ret)
{
        return asprintf(ret, PROXMOX_VOLUME, vmid) < 0 ? -ENOMEM : 0;
}

/* A file of the mode's: written from spec, removed (if vfio-setup's) without one. */
static int own_script(struct plan_ctx *ctx, const char *rel, const struct handover_spec *spec, bool *ret_changed)
{
        char *text = NULL;
        int r = spec ? handover_script(spec, &text) : 0;

        if (r >= 0)
                r = ctx_own_file_mode(ctx, rel, text, 0755, ret_changed);
        free(text);
        return r;
}

/* The Proxmox VE hookscript of the guest recorded before, when it is not the one asked for now. */
static int drop_old_snippet(struct plan_ctx *ctx, const char *vmid)
{
        const struct strv *old = &ctx->m->vfio.tool.handover;
        char *rel = NULL;
        bool changed;
        int r;

        if (!old->n || (vmid && strcmp(old->v[0], vmid) == 0) || !proxmox_vmid_ok(old->v[0]))
                return 0;
        if (asprintf(&rel, PROXMOX_SNIPPET, old->v[0]) < 0)
                return -ENOMEM;
        r = ctx_own_file_mode(ctx, rel, NULL, 0755, &changed);
        free(rel);
        return r;
}

static int warn_single_gpu(struct plan_ctx *ctx, const char *guest)
{
        int r = ctx_warn(ctx, "single-GPU mode: while %s runs the host has no display at all; the display manager "
                              "stops and every graphical session in it ends. Keep a way in without a screen (ssh). "
                              "If the guest hangs, \"virsh destroy %s\" from there gives the GPU back",
                         guest, guest);

        if (r >= 0 && ctx->m->n_gpus > 1)
                r = ctx_warn(ctx, "single-GPU mode on a machine with %zu GPUs: bound at boot instead (" REMEDY(NO_SINGLE_GPU)
                                  "), or handed over with the host's display kept on another GPU (" REMEDY(HANDOVER) ")",
                             ctx->m->n_gpus);
        else if (r >= 0 && !machine_display_on_only_gpu(ctx->m))
                r = ctx_warn(ctx, "single-GPU mode for a GPU without display outputs: the host's display is not on it, "
                                  "so nothing needs to stop; bound at boot instead (" REMEDY(NO_SINGLE_GPU) "), the host "
                                  "keeps its display");
        return r;
}

/* What a GPU's driver needs before it lets the GPU go, said before the mode is chosen. */
static int warn_drivers(struct plan_ctx *ctx)
{
        const struct machine *m = ctx->m;
        int r = 0;

        for (size_t i = 0; i < ctx->plan->devices.n && r >= 0; i++) {
                size_t idx;

                if (machine_find_device(m, ctx->plan->devices.v[i], &idx) < 0 || !m->devices[idx].driver ||
                    strcmp(m->devices[idx].driver, "nvidia") != 0)
                        continue;
                r = ctx_warn(ctx, "%s is on NVIDIA's driver, which lets a GPU go only while nothing holds it: "
                                  "nvidia-persistenced (stop and disable it: systemctl disable --now nvidia-persistenced), "
                                  "a CUDA program, a display server on it. The hook names what holds it, and the guest "
                                  "does not start until that is closed",
                             ctx->plan->devices.v[i]);
        }
        return r;
}

int emit_handover(struct plan_ctx *ctx)
{
        const struct selection *sel = ctx->sel;
        const char *single = sel->release ? NULL : sel->single_gpu;
        const char *guest = sel->release ? NULL : sel->handover;
        const char *mode = single ? "single-GPU mode" : "handover";
        bool proxmox = ctx->m->distro.proxmox_ve, single_changed = false, changed = false;
        struct handover_spec spec;
        char *rel = NULL;
        int r;

        /* By hand (bind and release): the plan only chose the devices. */
        if (guest && !*guest)
                return 0;
        if (single && !libvirt_domain_name_ok(single))
                return ctx_refuse(ctx, -VS_E_SELECTION, "single-GPU mode: \"%s\" is not a libvirt domain name vfio-setup "
                                  "writes into a script (letters, digits and . _ + - (not first), at most 64)", single);
        if (guest && proxmox && !proxmox_vmid_ok(guest))
                return ctx_refuse(ctx, -VS_E_SELECTION, "handover on Proxmox VE: \"%s\" is not a guest's id (100 to "
                                  "999999999)", guest);
        if (guest && !proxmox && !libvirt_domain_name_ok(guest))
                return ctx_refuse(ctx, -VS_E_SELECTION, "handover: \"%s\" is not a libvirt domain name vfio-setup "
                                  "writes into a script (letters, digits and . _ + - (not first), at most 64)", guest);

        spec = (struct handover_spec){ HANDOVER_LIBVIRT, single, &ctx->plan->devices, true };
        r = own_script(ctx, SINGLE_GPU_HOOK, single ? &spec : NULL, &single_changed);
        spec = (struct handover_spec){ HANDOVER_LIBVIRT, guest, &ctx->plan->devices, false };
        if (r >= 0)
                r = own_script(ctx, HANDOVER_HOOK, guest && !proxmox ? &spec : NULL, &changed);
        if (r >= 0)
                r = drop_old_snippet(ctx, guest && proxmox ? guest : NULL);
        if (r >= 0 && guest && proxmox) {
                bool written;

                /* The guest's hookscript option is set with its other options (proxmox_guest.c). */
                spec.front = HANDOVER_PROXMOX;
                r = asprintf(&rel, PROXMOX_SNIPPET, guest) < 0 ? -ENOMEM : own_script(ctx, rel, &spec, &written);
                free(rel);
        }
        if (r < 0 || (!single && !guest))
                return r;
        if (single) {
                ctx->plan->single_gpu = strdup(single);
                r = ctx->plan->single_gpu ? strv_push(&ctx->next.single_gpu, single) : -ENOMEM;
                if (r >= 0)
                        r = warn_single_gpu(ctx, single);
        } else {
                ctx->plan->handover = strdup(guest);
                r = ctx->plan->handover ? strv_push(&ctx->next.handover, guest) : -ENOMEM;
        }
        if (r >= 0)
                r = warn_drivers(ctx);
        if (r >= 0 && !proxmox && !sysroot_exists(ctx->sr, "etc/libvirt"))
                r = ctx_warn(ctx, "%s: libvirt is not installed (no /etc/libvirt); the hook only runs under libvirt's "
                                  "QEMU driver, 6.5.0 or later", mode);
        if (r >= 0 && !proxmox && (changed || single_changed))
                r = ctx_manual(ctx, "restart libvirt's daemon (systemctl restart libvirtd, or virtqemud where the modular "
                                    "daemons run): it looks for hooks when it starts");
        if (r >= 0 && !proxmox)
                r = ctx_manual(ctx, "%s: the domain must be named %s and have the devices as <hostdev> "
                                    "(" REMEDY_WITH(DOMAIN_XML) "%s" REMEDY_END ")",
                               mode, single ? single : guest, single ? single : guest);
        return r;
}
