/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the emitters share: the wanted end state, the plan being built, and helpers. */

#include "vfio-setup/plan.h"
#include "vfio-setup/remedy.h"
#include "vfio-setup/state.h"
#include "vfio-setup/textfile.h"

struct want {
        struct strv params;         /* command-line tokens that must be there */
        struct strv drop;           /* tokens vfio-setup added before and wants gone */
        struct strv modules;        /* initramfs modules that must be loaded early */
        struct strv drop_modules;   /* modules vfio-setup added before and wants gone */
        struct strv softdeps;       /* driver modules that must wait for vfio-pci */
        char *ids;                  /* "1002:73bf,1002:ab28", NULL on release */
        bool modprobe;              /* ids and softdeps go to modprobe.d (vfio-pci is a module) */
        bool modconf;               /* the initramfs must carry modprobe.d (mkinitcpio: the modconf hook) */
};

struct plan_ctx {
        const struct sysroot *sr;
        const struct machine *m;
        const struct selection *sel;
        int bootloader;             /* enum bootloader_kind in use */
        int initramfs;              /* enum initramfs_kind in use */
        /*
         * The plan is a trial: the default entry keeps its line, the parameters go on the trial's
         * entry alone, and the shared files bind nothing unless that entry started the boot.
         */
        bool trial;
        /*
         * The same trial is armed, or is this boot, and the plan changes nothing else: it is
         * neither made nor armed again (an apply run twice changes nothing the second time).
         */
        bool trial_in_place;
        struct want want;
        struct tool_state next;     /* the state after this plan */
        struct plan *plan;
        bool boot_changed;          /* a file the bootloader reads changed */
        bool initramfs_changed;     /* a file the initramfs generator reads changed */
        bool boot_vga;              /* the chosen GPU is the firmware's console (and the user allowed it) */
        char *aliases;              /* the running kernel's modules.alias, read when first needed ("" if none) */
        bool kernel_install;        /* boot entries to remake with kernel-install once the initramfs is made */
        struct strv unclaimed;      /* devices passed that no known module would claim */
        struct strv *claims;        /* per device of plan.devices, the modules that would claim it */
        size_t n_claims;
        bool builtin_read;
        struct strv builtin;        /* "MODULE KERNEL" for each module built into an installed kernel */
        struct strv keep_drivers;   /* claimers never blacklisted: built in, or the host's devices need them */
        struct strv takeback;       /* devices given to vfio-pci after boot, from a built-in or shared driver */
        char *reason;               /* why the plan was refused */
        struct strv held;           /* refusals a confirmation lifts, named together at the end */
        unsigned held_codes;        /* which confirmations, a bit each (liftable_codes in context.c) */
};

/* Single-GPU or handover mode: nothing is bound at boot, a script hands the devices over while a guest runs. */
static inline bool ctx_hands_over(const struct plan_ctx *ctx)
{
        return ctx->sel->single_gpu || ctx->sel->handover;
}

/* Each piece of the boot chain is one emitter. */
struct emitter {
        int (*emit)(struct plan_ctx *ctx);
        /*
         * Initramfs generators: the command that rebuilds the images, once every input is planned.
         * Boot loaders: what runs after that (proxmox-boot-tool refresh copies both to the ESPs).
         */
        int (*regenerate)(struct plan_ctx *ctx);
        /* A boot tool that rebuilds the initramfs itself (sdbootutil mkinitrd): the generator's command is not run. */
        bool owns_initramfs;
        /*
         * The initramfs is the image's, which reads no /etc/modprobe.d (rpm-ostree): the ids go on the
         * command line, dracut loads vfio-pci first (rd.driver.pre) and leaves the drivers that would claim
         * the devices to the real root (rd.driver.blacklist).
         */
        bool early_by_cmdline;
        /*
         * The trial: an entry of vfio-setup's own with the wanted parameters, started once at the
         * next boot; with no trial wanted, it removes the one a pending trial left.  Runs after
         * every regeneration.  NULL where the chain has no one-time boot, and no_trial says why.
         */
        int (*trial)(struct plan_ctx *ctx);
        const char *no_trial;
};

const struct emitter *bootloader_emitter(int kind);
const struct emitter *initramfs_emitter(int kind);
int emit_modprobe(struct plan_ctx *ctx);
/*
 * Edits /etc/kernel/cmdline when it exists (*ret_found), for systemd-boot and
 * UKIs; with `seed`, creates it from the running command line when absent.
 */
int emit_kernel_cmdline_file(struct plan_ctx *ctx, bool seed, bool *ret_found);
/*
 * The running command line as kernel-install and its kin read it: the words naming the image and
 * initrd go, and on a trial's boot what its entry added.
 */
int running_cmdline(const struct plan_ctx *ctx, char **ret);
/* ... as the seed of /etc/kernel/cmdline; refuses when /proc/cmdline cannot be read. */
int running_seed(struct plan_ctx *ctx, char **ret);
/*
 * Edits /etc/kernel/cmdline for a tool that makes the boot entries from it, or when absent
 * from what seed gives (what the tool reads then); sets boot_changed and *ret_changed (or NULL).
 */
int emit_cmdline_file_from(struct plan_ctx *ctx, int (*seed)(struct plan_ctx *ctx, char **ret), bool *ret_changed);
/* grub.cfg made again by the tool the machine has; a warning where none is found. */
int grub_regenerate(struct plan_ctx *ctx);
/* The trials of GRUB (grub_trial.c) and systemd-boot (systemd_boot_trial.c): emitter.trial. */
int grub_trial(struct plan_ctx *ctx);
int systemd_boot_trial(struct plan_ctx *ctx);
/* Where the ESP is, when detection found none mounted: each holds loader/entries. */
#define SYSTEMD_BOOT_ESP_FALLBACKS 3
extern const char *const systemd_boot_esp_fallbacks[SYSTEMD_BOOT_ESP_FALLBACKS];
/* The options of the entry systemd-boot's trial copied (named in it); -ENOENT when unknown. */
int systemd_boot_trial_base(struct plan_ctx *ctx, char **ret);
/* Edits /etc/default/grub (or vfio-setup's drop-in, by distribution family); *changed. */
int edit_default_grub(struct plan_ctx *ctx, bool *changed);
/* kernel-install add for each installed kernel, after the initramfs the entries copy. */
int emit_kernel_install(struct plan_ctx *ctx);
int emit_manual(struct plan_ctx *ctx);
/*
 * The scripts that hand devices over while a guest runs: single-GPU mode's hook (SINGLE_GPU_HOOK),
 * handover's (HANDOVER_HOOK, or on Proxmox VE the guest's hookscript); each written in its mode,
 * removed when not.
 */
int emit_handover(struct plan_ctx *ctx);
/* The Looking Glass goal's files: written when chosen, removed when not. */
int emit_looking_glass(struct plan_ctx *ctx);

/* The gaming goal: 1 GiB hugepages are reserved by kernel parameters, added to want.params. */
int want_gaming_params(struct plan_ctx *ctx);
/* ... and 2 MiB hugepages by a sysctl drop-in; the CPU pinning suggestion. */
int emit_gaming(struct plan_ctx *ctx);

/* The script that binds devices by address (driver_override), run by modprobe. */
#define OVERRIDE_SCRIPT "etc/vfio-setup/vfio-pci-override.sh"
/* The script and what carries it into the initramfs, for plan.by_address. */
int emit_override(struct plan_ctx *ctx);
/* The script that takes devices from built-in or shared drivers once the real root is up. */
#define TAKEBACK_SCRIPT "etc/vfio-setup/vfio-pci-takeback.sh"
/*
 * Which passed devices a driver built into an installed kernel, or shared with the host's
 * devices where the initramfs is the image's, would hold: ctx.takeback, ctx.keep_drivers.
 */
int want_takeback(struct plan_ctx *ctx);
/* The script and the systemd unit that run it early at boot, for ctx.takeback. */
int emit_takeback(struct plan_ctx *ctx);
/* The trial's guard in a shell script: it ends the script unless the trial's entry started this boot. */
#define TRIAL_GUARD \
        "# A trial ('vfio-setup commit' makes it the default): only the trial's boot entry binds.\n" \
        "read -r cmdline </proc/cmdline\n" \
        "case \" $cmdline \" in *\" " TRIAL_PARAM " \"*) ;; *) exit 0 ;; esac\n"
/* The Proxmox VE guests of sel->proxmox set up for the devices with qm set, each undone by its opposite. */
int emit_proxmox_guest(struct plan_ctx *ctx);
/* Says what disks go with passed controllers; the storage goal's whole disks. Writes nothing. */
int emit_storage(struct plan_ctx *ctx);
/* A controller with a disk the host uses never goes to a guest: refuses, naming the disk and its mounts. */
int ctx_refuse_host_disk(struct plan_ctx *ctx, size_t device);
/* The same for a function of the slot of a GPU (a USB-C controller), which goes with the GPU. */
int ctx_refuse_slot_disk(struct plan_ctx *ctx, size_t gpu, size_t device);
/*
 * A function of the GPU's slot made by another vendor that the host needs (an APU's security
 * processor): it goes along only when it shares the GPU's IOMMU group, which is not known while
 * the IOMMU is off; refused then, with the way on.
 */
int ctx_refuse_platform(struct plan_ctx *ctx, size_t gpu, size_t device);
/* Refuses a device the host runs on (device_host_needs). */
int ctx_refuse_host_device(struct plan_ctx *ctx, size_t device);
/*
 * A device the host is reached through (device_host_ways) is held back unless the selection
 * allows it (allow_host); allowed, the plan says how to get back in.  `gpu`: the device is the
 * chosen GPU itself, whose screen single-GPU mode hands over by design.
 */
int ctx_check_host_way(struct plan_ctx *ctx, size_t device, bool gpu);
/*
 * A plan taking every GPU that lights a screen leaves the host none, though each alone left it
 * another: one of them (not the boot display, whose confirmation is about its console) must be
 * in allow_host.
 */
int ctx_check_screens(struct plan_ctx *ctx);

/* Keeps the reason of a -VS_E_CONFIG refusal as the plan's; other errors drop it. */
int ctx_take_reason(struct plan_ctx *ctx, int r, char *reason);
/* Loads a file to edit; a refusal sets ctx->reason. */
int ctx_load(struct plan_ctx *ctx, const char *rel, struct textfile *ret);
/* Adds the file to the plan when its lines changed; *changed tells whether they did. */
int ctx_commit(struct plan_ctx *ctx, const struct textfile *f, bool *changed);
/* The file created by this plan is put back by undo as `content`, not removed (plan_file.seed). */
int ctx_seed(struct plan_ctx *ctx, const char *rel, const char *content);
/* A file vfio-setup owns: written with exactly content, or deleted when content is NULL. */
int ctx_own_file(struct plan_ctx *ctx, const char *rel, const char *content, bool *changed);
/* ... created with these permissions (a script). */
int ctx_own_file_mode(struct plan_ctx *ctx, const char *rel, const char *content, unsigned mode, bool *changed);
/*
 * Applies the wanted and dropped parameters to one command line.  Parameters
 * already on `elsewhere` (another line the same kernel gets, or NULL) are not
 * added again; without `append` wanted parameters are only corrected where
 * they are, never added.
 */
int ctx_edit_cmdline(struct plan_ctx *ctx, const char *line, const char *elsewhere, bool append, char **ret);
/* The tokens a command line gained are vfio-setup's from now on (of a shared list, its items only). */
int ctx_record_params(struct plan_ctx *ctx, const struct strv *added);
/* Whether the tokens on line already are what is wanted. */
bool ctx_cmdline_done(const struct plan_ctx *ctx, const char *line);
/* A regeneration command, chosen when its file exists on the machine. */
struct regenerator {
        const char *exists;
        const char *argv[4];
};

/* Adds the command of the first regenerator whose file exists; 0 and *found = false when none does. */
int ctx_command_first(struct plan_ctx *ctx, const struct regenerator *table, size_t n, bool *found);
/*
 * A command that changes state outside the files (rpm-ostree kargs), and the
 * one that undoes it; both are taken (emptied), also on failure.
 */
int ctx_command_undo(struct plan_ctx *ctx, struct strv *argv, struct strv *undo);
/* ... each given as its words, NULL-terminated. */
int ctx_command_undo_words(struct plan_ctx *ctx, const char *const *argv, const char *const *undo);
/* Adds a command to run after the files are written; the same command twice runs once. */
int ctx_command(struct plan_ctx *ctx, const char *arg0, ...) __attribute__((sentinel));
int ctx_warn(struct plan_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctx_manual(struct plan_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Refuses the plan.  A refusal a confirmation lifts (-VS_E_DIRTY_GROUP,
 * -VS_E_BOOT_VGA) is held and returns 0, so that planning goes on and finds
 * the others; any other ends planning with every reason held so far.
 */
int ctx_refuse(struct plan_ctx *ctx, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The held refusals as one: 0 without any; -VS_E_CONFIRM when both confirmations are needed. */
int ctx_held_refusals(struct plan_ctx *ctx);
/* The modules, for editors that add them to a list: modules added now are recorded in the state. */
int ctx_note_module(struct plan_ctx *ctx, const char *module);
/* Space-separated wanted parameters, for commands and manual steps. */
char *ctx_params_text(const struct plan_ctx *ctx);
