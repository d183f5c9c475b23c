/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/strv.h"

/*
 * What vfio-setup set up on a machine, kept in STATE_PATH: the devices and
 * ids it binds, and what it added to files it shares with the user (kernel
 * parameters, initramfs modules and hooks, files it created).  A re-run
 * replaces exactly these; --release removes exactly these.
 */
#define STATE_PATH "var/lib/vfio-setup/state"
/*
 * The kernel parameter only a trial's boot entry carries: what binds devices to vfio-pci from
 * files every entry shares (the by-address scripts) acts only when it is on the command line.
 */
#define TRIAL_PARAM_KEY "vfio_setup.trial"
#define TRIAL_PARAM TRIAL_PARAM_KEY "=1"
/* The trial's boot entry: its id in GRUB's menu (systemd-boot's adds ".conf"), and its title. */
#define TRIAL_ENTRY_ID "vfio-setup-trial"
#define TRIAL_ENTRY_TITLE "vfio-setup trial"

/* Far above what any setup records. */
#define STATE_MAX (64u * 1024)

struct tool_state {
        bool present;
        struct strv devices;    /* "0000:0b:00.0" */
        struct strv ids;        /* "1002:73bf" */
        struct strv params;     /* kernel command-line tokens it added */
        struct strv modules;    /* initramfs modules it added to shared lists */
        struct strv hooks;      /* mkinitcpio hooks it added */
        struct strv created;    /* shared files it created (removed again on release) */
        struct strv dirs;       /* directories it made for its files, parents first */
        struct strv goals;      /* goals beyond base: "looking-glass" */
        struct strv looking_glass; /* "2560x1440", "shm" or "kvmfr", the user, and "hdr" for HDR */
        struct strv disks;      /* the storage goal's whole disks, by-id names */
        struct strv vm;         /* the gaming goal's guest: memory in MiB (0: no hugepages), vCPUs (0: all spare) */
        struct strv single_gpu; /* the domain whose libvirt hook hands the devices over (single-GPU mode) */
        struct strv handover;   /* the guest the devices are handed to while it runs (handover mode) */
        /*
         * A trial not committed yet: the parameters only the trial's entry carries.  The
         * default entry has none of them; params above are those it has.
         */
        struct strv trial;
        struct strv unknown;    /* "key=value" lines of a newer version, written back as they came */
};

/* -EBADMSG for a line that is not key=words, with its number (from 1) in *ret_line when not NULL. */
int state_parse(const char *text, struct tool_state *ret, size_t *ret_line);
/* The file's content; header included. */
char *state_format(const struct tool_state *s);
void state_free(struct tool_state *s);
