/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vfio-setup/machine.h"
#include "vfio-setup/pinning.h"
#include "vfio-setup/remedy.h"
#include "vfio-setup/selection.h"
#include "vfio-setup/sysroot.h"

/*
 * The exact change a selection makes on a machine: every file's complete new
 * content, the commands that regenerate boot files, and what the user must
 * do by hand.  Building it reads files and writes nothing.
 */
enum plan_action { PLAN_CREATE, PLAN_MODIFY, PLAN_DELETE };

/* Single-GPU mode's libvirt hook, which hands the devices to vfio-pci while its guest runs. */
#define SINGLE_GPU_HOOK "etc/libvirt/hooks/qemu.d/vfio-setup-single-gpu"
#define HANDOVER_HOOK "etc/libvirt/hooks/qemu.d/vfio-setup-handover"

struct plan_file {
        char *path;             /* below the root, no leading '/' (a link's target, not the link) */
        enum plan_action action;
        char *old_content;      /* NULL for CREATE */
        size_t old_len;
        char *new_content;      /* NULL for DELETE */
        size_t new_len;
        char *note;             /* e.g. that the path asked for was a link; or NULL */
        unsigned mode;          /* permissions of a new file; 0 for 0644 (an existing file keeps its own) */
        /*
         * A new file that the machine behaved as if it held this when absent
         * (/etc/kernel/cmdline: the running command line).  Undo, after the
         * reboot, writes it rather than removing the file; NULL for most.
         */
        char *seed;
        size_t seed_len;
};

struct plan {
        bool release;
        struct strv devices;            /* addresses bound to vfio-pci (at boot, or by the single-GPU hook) */
        struct strv disks;              /* /dev/disk/by-id paths of whole disks for the guest (storage goal), at most 25 */
        struct strv vfio_ids;           /* bound by id: those of the devices no device the host keeps shares */
        struct strv by_address;         /* bound by address (driver_override): another device has their id */
        struct strv params_add;         /* kernel command-line tokens */
        struct strv params_remove;
        struct plan_file *files;
        size_t n_files;
        struct strv remove_dirs;        /* directories vfio-setup made, removed when empty (release) */
        struct strv *commands;          /* argv of each regeneration command, in order */
        struct strv *undo_commands;     /* per command, what undoes it (rpm-ostree kargs); empty: run it again */
        size_t n_commands;
        struct strv warnings;
        struct strv manual;             /* what the user must do by hand (unknown bootloader, NixOS) */
        unsigned lg_size_mb;            /* Looking Glass's shared memory, 0 without that goal */
        bool lg_kvmfr;                  /* ... through the kvmfr module rather than /dev/shm */
        struct pinning pinning;         /* the gaming goal's CPU pinning; n_guest 0 without */
        unsigned long vm_memory_mib;    /* the gaming goal's hugepage-backed guest memory, 0 without */
        unsigned long hugepage_kib;     /* ... in pages of this size */
        char *single_gpu;               /* single-GPU mode: the domain whose hook hands devices over; else NULL */
        char *handover;                 /* handover mode: the guest (libvirt domain, Proxmox VE id) that takes them; else NULL */
        /*
         * A trial: the parameters (trial_params) go on a boot entry of vfio-setup's own (trial_entry),
         * which the next boot starts once; the default entry stays as it is.  commit: the plan makes
         * a pending trial the default.
         */
        bool trial;
        bool commit;
        char *trial_entry;
        struct strv trial_params;
};

/*
 * When the plan is refused: *ret_reason (allocated; every reason found, each with the flag or
 * action that lifts it) and -VS_E_SELECTION, -VS_E_CONFIG, or when only confirmations are
 * missing, -VS_E_DIRTY_GROUP (allow_dirty_group), -VS_E_BOOT_VGA (allow_boot_vga) or
 * -VS_E_CONFIRM (both); -VS_E_NO_TRIAL when the boot chain cannot start a trial once and the
 * selection did not ask for no trial (no_trial), the only refusal left.
 */
int plan_build(const struct sysroot *sr, const struct machine *m, const struct selection *sel, struct plan **ret,
               char **ret_reason);
/* plan_build with the reason, warnings and manual steps in a front end's words (remedy.h). */
int plan_build_worded(const struct sysroot *sr, const struct machine *m, const struct selection *sel,
                      const char *const words[_REMEDY_MAX], struct plan **ret, char **ret_reason);
/*
 * What undo runs after the files are back, for n commands that ran: the
 * inverses of those that change state, newest first, then again, in order,
 * those that regenerate boot files from the files.  *ret holds n_ret argv.
 */
int commands_for_undo(const struct strv *commands, const struct strv *undo, size_t n, struct strv **ret, size_t *ret_n);
void commands_free(struct strv *v, size_t n);

/* One of the refusals of plan_build, as opposed to a failure to make a plan. */
bool plan_refused(int r);
/* Nothing to write and nothing to run. */
bool plan_empty(const struct plan *p);
void plan_free(struct plan *p);

int plan_to_json(const struct plan *p, char **ret);
/* libvirt <hostdev> elements for the plan's devices, to paste into a domain's <devices>. */
int plan_libvirt_xml(const struct plan *p, char **ret);
struct ovmf_paths;
/* What the domain is shaped for: Windows wants the Hyper-V enlightenments and a local-time clock, Linux neither. */
enum guest_os { GUEST_WINDOWS, GUEST_LINUX, _GUEST_OS_MAX };
/* "windows" or "linux"; -EINVAL for another name. */
int guest_os_from_name(const char *name, enum guest_os *ret);
/*
 * The domain for a guest: first to install its system (the installer and the drivers on
 * CD-ROMs, booted first, with an emulated display and a USB tablet and keyboard beside the
 * passed GPU), then, installed, to use it (the GPU's outputs or Looking Glass, the host's
 * keyboard and mouse by evdev).  Both forms put the system disk on the same bus: virtio
 * where the guest can drive it during the install (Linux, or Windows with the drivers ISO),
 * SATA otherwise.
 */
struct guest_domain {
        const char *name;
        enum guest_os os;
        bool installed;
        const char *iso;                /* the installer, absolute; NULL: guest_iso_default() */
        const char *drivers_iso;        /* virtio-win, absolute; NULL: none */
        struct strv inputs;             /* installed: /dev/input/by-id event devices, each as it is named there */
};
/* Where the domain expects the installer when no --iso names it: /var/lib/libvirt/images/NAME-installer.iso. */
char *guest_iso_default(const char *name);
/* A whole libvirt domain for the plan; fw NULL lets libvirt choose the firmware. -EINVAL for a bad name or path. */
int plan_libvirt_domain(const struct plan *p, const struct guest_domain *g, const struct ovmf_paths *fw, char **ret);
/* plan_libvirt_domain with the UEFI firmware installed here (ovmf_find), or libvirt's choice without one. */
int plan_guest_domain(const struct sysroot *sr, const struct plan *p, const struct guest_domain *g, char **ret);
/*
 * Several guests for several GPUs: guest `guest` of `guests` gets GPU number `guest` of the
 * selection (gpu, then more_gpus) with its companions, the first also every other device of
 * the plan; one guest gets all.  -EINVAL unless there is one guest or one per GPU.
 */
int plan_guest_devices(const struct machine *m, const struct selection *sel, const struct plan *p, size_t guest,
                       size_t guests, struct strv *ret);
/*
 * p as one guest sees it: devices instead of p's, and the goals' memory, cores, shared
 * memory and disks only for the first.  It borrows p's storage and devices: never free it.
 */
void plan_guest_view(const struct plan *p, const struct strv *devices, bool first, struct plan *ret);
/* Letters, digits and . _ + - (not first), at most 64: a name virsh, paths and XML take as it is. */
bool libvirt_domain_name_ok(const char *name);
/* The review text: per file a unified diff (new files in full), then commands, warnings, manual steps. */
int plan_to_text(const struct plan *p, char **ret);
