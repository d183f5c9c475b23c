/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "remedies.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/handover.h"
#include "vfio-setup/machine.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/runner.h"
#include "vfio-setup/selection.h"
#include "vfio-setup/sysroot.h"

/*
 * bind and release: the handover script's own steps, run now for a guest that QEMU runs
 * without libvirt or Proxmox VE.  The devices are the ones a plan would pass (the GPU's
 * functions and what --extra adds), with the plan's checks of the host's needs; the script
 * is the one the hooks run, so what it refuses and how it gives back are the same.
 */

static void show_line(void *userdata, const char *line)
{
        (void)userdata;
        fprintf(stderr, "%s\n", line);
}

/* The running machine only: --root is for reading other trees; tests give stand-ins. */
static int may_change(const struct cli_options *opt, const char *what, const char **ret_dir)
{
        const char *dir = getenv("VFIO_SETUP_COMMAND_PATH");

        *ret_dir = dir && *dir ? dir : NULL;
        if (*ret_dir)
                return 0;
        if (strcmp(opt->root, "/") != 0) {
                fprintf(stderr, "vfio-setup: %s: acts on the running machine's devices; --root %s is a tree to read\n",
                        what, opt->root);
                return -1;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "vfio-setup: %s: handing devices over needs root privileges\nhint: sudo vfio-setup %s "
                                "--gpu %s\n", what, what, opt->selection.gpu);
                return -1;
        }
        return 0;
}

/* The script run by sh with its one argument; the exit status as the command's. */
static int run_script(const struct cli_options *opt, const char *dir, const struct strv *devices, const char *action)
{
        struct handover_spec spec = { .front = HANDOVER_BY_HAND, .devices = devices };
        struct run_options o = { .root = opt->root, .command_dir = dir, .line = show_line };
        struct strv argv = { 0 };
        char *script = NULL;
        int r, status = 0;

        r = handover_script(&spec, &script);
        if (r >= 0)
                r = strv_push(&argv, "sh");
        if (r >= 0)
                r = strv_push(&argv, "-c");
        if (r >= 0)
                r = strv_consume(&argv, script);
        else
                free(script);
        if (r >= 0)
                r = strv_push(&argv, "vfio-setup-handover");
        if (r >= 0)
                r = strv_push(&argv, action);
        if (r >= 0)
                r = run_command(&argv, &o, &status);
        strv_free(&argv);
        if (r == -VS_E_COMMAND)
                return EXIT_NOT_READY;
        if (r < 0) {
                cli_error(action, r, NULL);
                return EXIT_USAGE;
        }
        return EXIT_OK;
}

int cli_bind(struct sysroot *sr, const struct cli_options *opt)
{
        struct selection sel = { .bootloader = -1, .initramfs = -1, .no_trial = true,
                                 .allow_dirty_group = opt->selection.allow_dirty_group };
        struct machine *m = NULL;
        struct plan *p = NULL;
        char *reason = NULL;
        const char *dir;
        int r, code;

        if (!opt->selection.gpu) {
                fprintf(stderr, "vfio-setup: bind: name the GPU: --gpu ADDRESS (vfio-setup detect lists them)\n");
                return EXIT_USAGE;
        }
        if (may_change(opt, "bind", &dir) < 0)
                return EXIT_USAGE;
        r = detect_machine(sr, &m);
        if (r < 0) {
                cli_error("bind", r, NULL);
                return EXIT_USAGE;
        }
        if (!m->iommu.kernel_active) {
                fprintf(stderr, "vfio-setup: bind: the kernel's IOMMU is not on in this boot, so vfio-pci cannot give "
                                "the GPU to a guest. Set it up first: vfio-setup apply --gpu %s --handover GUEST, "
                                "then reboot\n", opt->selection.gpu);
                machine_free(m);
                return EXIT_NOT_READY;
        }
        sel.gpu = strdup(opt->selection.gpu);
        sel.handover = strdup("");
        r = sel.gpu && sel.handover ? 0 : -ENOMEM;
        if (r >= 0)
                r = strv_merge(&sel.extra, &opt->selection.extra);
        if (r >= 0)
                r = strv_merge(&sel.allow_host, &opt->selection.allow_host);
        if (r >= 0)
                r = plan_build_worded(sr, m, &sel, cli_remedies, &p, &reason);
        selection_free(&sel);
        machine_free(m);
        if (r < 0) {
                fprintf(stderr, "vfio-setup: bind: %s\n", reason ? reason : vs_strerror(r));
                free(reason);
                return plan_refused(r) ? EXIT_NOT_READY : EXIT_USAGE;
        }
        for (size_t i = 0; i < p->warnings.n; i++)
                fprintf(stderr, "warning: %s\n", p->warnings.v[i]);
        code = run_script(opt, dir, &p->devices, "bind");
        if (code == EXIT_OK)
                printf("%s: on vfio-pci now, for the guest; vfio-setup release --gpu %s gives it back\n",
                       p->devices.v[0], p->devices.v[0]);
        plan_free(p);
        return code;
}

/* The devices a record names ("device ADDRESS DRIVER" lines), the GPU first. */
static int recorded_devices(const char *text, struct strv *ret)
{
        char *copy = strdup(text), *save = NULL;
        int r = copy ? 0 : -ENOMEM;

        for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                char address[32];

                if (sscanf(line, "device %31s", address) == 1)
                        r = strv_push(ret, address);
        }
        free(copy);
        return r;
}

int cli_release(struct sysroot *sr, const struct cli_options *opt)
{
        struct strv devices = { 0 };
        struct machine *m = NULL;
        char *rel = NULL, *text = NULL;
        const char *dir, *gpu = opt->selection.gpu;
        size_t idx;
        int r, code = EXIT_USAGE;

        if (!gpu) {
                fprintf(stderr, "vfio-setup: release: name the GPU: --gpu ADDRESS\n");
                return EXIT_USAGE;
        }
        if (may_change(opt, "release", &dir) < 0)
                return EXIT_USAGE;
        r = detect_machine(sr, &m);
        if (r >= 0 && machine_find_device(m, gpu, &idx) >= 0)
                gpu = m->devices[idx].address;
        if (r >= 0 && asprintf(&rel, HANDOVER_RUN_DIR "/" HANDOVER_RECORD_PREFIX "%s", gpu) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = sysroot_read(sr, rel, 0, &text, NULL);
        if (r == -ENOENT) {
                printf("%s: nothing to give back: no guest or bind took it (no /%s)\n", gpu, rel);
                code = EXIT_OK;
        } else if (r >= 0 && (r = recorded_devices(text, &devices)) >= 0 && !devices.n) {
                /* Refused or killed before it took anything: the record alone goes. */
                r = strv_push(&devices, gpu);
        }
        if (r >= 0 && devices.n) {
                code = run_script(opt, dir, &devices, "release");
                if (code == EXIT_OK)
                        printf("%s: given back to the host\n", gpu);
        } else if (r < 0 && r != -ENOENT)
                cli_error("release", r, NULL);
        strv_free(&devices);
        free(text);
        free(rel);
        machine_free(m);
        return code;
}
