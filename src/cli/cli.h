/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/plan.h"
#include "vfio-setup/selection.h"
#include "vfio-setup/sysroot.h"

enum exit_code { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_NOT_READY = 2, EXIT_APPLY_FAILED = 3 };

struct cli_options {
        const char *root;
        const char *output;     /* snapshot -o */
        bool json;
        bool libvirt_xml;               /* plan: <hostdev> elements instead of the plan */
        const char *libvirt_domain;     /* plan: a whole domain of that name instead of the plan */
        struct strv more_domains;       /* plan: a domain per GPU, the first's name above, saved in -o DIR */
        const char *guest_os;           /* plan --libvirt-domain: --guest-os as given; NULL is Windows */
        enum guest_os guest;
        const char *iso;                /* plan --libvirt-domain: the installer, --drivers-iso virtio-win */
        const char *drivers_iso;
        bool installed;                 /* plan --libvirt-domain: the everyday form, with --input devices */
        struct strv inputs;
        const char *operand;            /* doctor: the guest's domain */
        struct strv logs;               /* doctor --log: absolute paths */
        bool list;              /* snapshot --list */
        bool gpus_only;                 /* groups --gpus */
        bool group_set;                 /* groups --group N */
        int group;
        bool no_color;
        bool ascii;
        bool yes;                       /* apply: no question */
        bool no_regenerate;             /* apply, undo: leave the commands to the user */
        bool force;                     /* rom: replace the file -o names */
        bool commit;                    /* verify: commit a trial that is ready */
        unsigned timeout;               /* apply, undo: seconds a command may take */
        struct selection selection;     /* plan, apply; verify: gpu */
};

/* Each subcommand returns the process exit code and prints its own errors. */
int cli_detect(struct sysroot *sr, const struct cli_options *opt);
int cli_snapshot(struct sysroot *sr, const struct cli_options *opt);
int cli_plan(struct sysroot *sr, const struct cli_options *opt);
int cli_apply(struct sysroot *sr, const struct cli_options *opt);
int cli_undo(struct sysroot *sr, const struct cli_options *opt);
/* A pending trial made the default, or started once more at the next boot. */
int cli_commit(struct sysroot *sr, const struct cli_options *opt);
int cli_trial(struct sysroot *sr, const struct cli_options *opt);
int cli_verify(struct sysroot *sr, const struct cli_options *opt);
int cli_doctor(struct sysroot *sr, const struct cli_options *opt);
int cli_groups(struct sysroot *sr, const struct cli_options *opt);
int cli_rom(struct sysroot *sr, const struct cli_options *opt);
/* A GPU handed to vfio-pci now for a guest QEMU runs directly, and given back. */
int cli_bind(struct sysroot *sr, const struct cli_options *opt);
int cli_release(struct sysroot *sr, const struct cli_options *opt);
/* The guided setup on a terminal; the demo runs it on a sample machine (NULL lists them). */
int cli_wizard(struct sysroot *sr, const struct cli_options *opt);
/* The wizard on a copy of a sample machine, removed afterwards unless keep. */
int cli_demo(const char *name, const struct cli_options *opt, bool keep);
/* A sample machine's tree made in a new directory below /tmp, named in root; -1 after saying why. */
#define DEMO_ROOT_SIZE 64
int cli_demo_tree(const char *name, char root[DEMO_ROOT_SIZE]);
void cli_demo_remove(const char *root);
/* The wizard again on a demo's kept copy (--demo --root DIR). */
int cli_demo_again(const struct cli_options *opt);

/* "vfio-setup: what: why" on stderr, and a hint line when hint is not NULL. */
void cli_error(const char *what, int err, const char *hint);
