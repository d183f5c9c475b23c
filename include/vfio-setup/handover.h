/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/strv.h"

/*
 * Handing a GPU's devices to vfio-pci while a guest runs and back when it stops, by one script
 * whichever front runs it: libvirt's hook, a Proxmox VE hookscript, or vfio-setup's bind and
 * release (plain QEMU).  Single-GPU mode is the same script stopping the host's display first.
 */
enum handover_front {
        HANDOVER_LIBVIRT,       /* SCRIPT GUEST OPERATION PHASE: "prepare begin" takes, "release end" gives back */
        HANDOVER_PROXMOX,       /* SCRIPT VMID PHASE: pre-start takes, post-stop gives back */
        HANDOVER_BY_HAND,       /* SCRIPT bind | release */
        _HANDOVER_FRONT_MAX
};

struct handover_spec {
        enum handover_front front;
        const char *guest;              /* the libvirt domain or Proxmox VE id it acts for; NULL by hand */
        const struct strv *devices;     /* the GPU first, then what goes with it */
        bool stop_display;              /* single-GPU mode: the display manager and consoles go too */
};

/* Where Proxmox VE's "local" storage keeps snippets, a guest's hookscript among them. */
#define PROXMOX_SNIPPETS "var/lib/vz/snippets/"

/* What was taken, until it is given back: one file per GPU, named after its address. */
#define HANDOVER_RUN_DIR "run/vfio-setup"
#define HANDOVER_RECORD_PREFIX "handover-"

/* The script, allocated in *ret; -EINVAL without devices. */
int handover_script(const struct handover_spec *spec, char **ret);
/* The volume a Proxmox VE guest's hookscript option names for vfio-setup's script of guest vmid. */
int handover_proxmox_volume(const char *vmid, char **ret);
/* A Proxmox VE guest's id: 100 to 999999999, no leading zero. */
bool proxmox_vmid_ok(const char *text);
