/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/strv.h"

/* What the user asked for; the plan is a function of this and the machine. */
#define GOALS(X)                                                                     \
        X(BASE,          "base",          "plain passthrough: bind the GPU to vfio-pci") \
        X(LOOKING_GLASS, "looking-glass", "shared memory for Looking Glass")              \
        X(GAMING,        "gaming",        "hugepages and CPU pinning")                    \
        X(STORAGE,       "storage",       "disk and controller passthrough")

enum goal {
#define GOAL_ENUM(id, name, text) GOAL_##id,
        GOALS(GOAL_ENUM)
#undef GOAL_ENUM
        _GOAL_MAX
};

struct selection {
        char *gpu;              /* address of the GPU to pass through */
        struct strv more_gpus;  /* further GPUs, each with its companions and the same checks */
        struct strv extra;      /* addresses of further devices (USB, NVMe controllers, ...) */
        struct strv disks;      /* whole disks for the guest without their controller (storage goal) */
        unsigned goals;         /* 1u << enum goal */
        int bootloader;         /* enum bootloader_kind, or -1 for the detected one */
        int initramfs;          /* enum initramfs_kind, or -1 for the detected one */
        bool release;           /* remove what vfio-setup set up */
        bool allow_dirty_group; /* pass the GPU although its group holds other devices */
        bool allow_boot_vga;    /* pass the firmware's console GPU, releasing its framebuffer */
        struct strv allow_host; /* addresses of devices the host is reached through, to pass all the same */
        bool iommu_pt;          /* add iommu=pt */
        /*
         * Set up for good at once.  Otherwise a first setup is a trial: the boot loader starts it
         * once, from an entry of its own, and every later boot the old default until committed.
         */
        bool no_trial;
        /*
         * Single-GPU mode: the libvirt domain that takes the devices while it runs, handed over by
         * a hook rather than bound at boot; NULL for the usual binding at boot.
         */
        char *single_gpu;
        /*
         * Handover mode: the guest (a libvirt domain; on Proxmox VE a guest's id) that takes the
         * devices while it runs, the host keeping its display; "" by hand (bind, release).
         */
        char *handover;
        /*
         * Proxmox VE guests to configure for the devices with qm set (undone with the apply): one
         * takes them all, or one per GPU in the order given.  Empty: none.
         */
        struct strv proxmox;
        bool guest_linux;       /* the guest's system is Linux (else Windows), for what it needs */
        struct looking_glass {
                unsigned width, height; /* the guest's resolution */
                bool kvmfr;             /* the kvmfr module instead of /dev/shm */
                bool hdr;               /* 10-bit colour: 64-bit frames */
                char *user;             /* who runs the client (the callers default it to the one behind sudo) */
        } lg;
        struct vm_tuning {
                unsigned long memory_mib; /* the guest's memory, backed by hugepages; 0: none reserved */
                unsigned cpus;            /* vCPUs to pin; 0: as many as the host can spare */
        } vm;
};

/* The guest resolution asked for, else 1920x1080. */
void looking_glass_resolution(const struct looking_glass *lg, unsigned *ret_width, unsigned *ret_height);
/* Looking Glass's shared memory in MiB: two frames of 4 bytes a pixel (8 for HDR), 10 MiB more, up to a power of two. */
unsigned looking_glass_size_mb(unsigned width, unsigned height, bool hdr);

/*
 * Hugepages for a guest of memory_mib: 1 GiB pages when the CPU has them (pdpe1gb) and the
 * memory is whole GiB, else 2 MiB pages.
 */
void hugepages_for(unsigned long memory_mib, bool pdpe1gb, unsigned long *ret_page_kib, unsigned long *ret_count);
/* "16G", "16GiB", "12288M", "12288" (MiB); -EINVAL otherwise, and below 256 MiB. */
int memory_size_parse(const char *text, unsigned long *ret_mib);

/* -EINVAL for an unknown name. */
int goal_from_name(const char *name, enum goal *ret);
const char *goal_name(enum goal g);
int bootloader_from_name(const char *name, int *ret);
int initramfs_from_name(const char *name, int *ret);
void selection_free(struct selection *s);

struct tool_state;
/*
 * What vfio-setup set up (the recorded state) as a selection: the GPU, the
 * devices beyond its slot, the goals with their settings, the disks.  What
 * sel holds already wins.  0 with nothing recorded.
 */
int selection_from_state(const struct tool_state *t, struct selection *sel);
/*
 * A pending trial, committed or tried again, passes the devices it was made with as they were
 * confirmed then: a dirty group, the boot VGA device and the host's ways in among them.
 */
int selection_confirm_trial(const struct tool_state *t, struct selection *sel);
