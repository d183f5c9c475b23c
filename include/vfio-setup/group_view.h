/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio-setup/machine.h"
#include "vfio-setup/sysroot.h"

/*
 * The IOMMU groups as a guest's owner needs them: each device with its reset
 * methods and ACS capability, whether the host needs it, whether the group
 * can go to a guest whole; and the bridges above each GPU.  `vfio-setup groups`
 * prints it and the wizard's GPU step shows it.
 */

/* Access Control Services: read from the PCIe extended capabilities of the config space. */
struct acs_info {
        enum tristate present;      /* unknown when the extended space (past 256 bytes) was not read */
        bool unprivileged;          /* ... because the kernel gave 64 bytes: the rest needs CAP_SYS_ADMIN */
        uint16_t cap, ctrl;         /* capability and control registers, when present */
};

struct group_member {
        size_t device;              /* index into machine.devices */
        char *reset_method;         /* sysfs reset_method ("flr bus"); NULL when the kernel has none or does not say */
        struct acs_info acs;
        char *host_needs;           /* why the host keeps it (device_host_needs), NULL when it can go */
        unsigned host_ways;         /* how the host is reached through it (device_host_ways): it goes only when told */
};

struct group_entry {
        int id;                     /* PCI_GROUP_NONE for the devices the kernel put in no group */
        struct group_member *members;
        size_t n_members;
        bool whole_ok;              /* every member but bridges can go to a guest */
        bool host_only;             /* none can: the host keeps every member but bridges */
        bool host_way;              /* a member is a way the host is reached (it goes only when told) */
        bool acs_override;          /* the kernel's groups may come from an ACS override (acs_override_shown) */
};

/* A PCI bridge (not the host bridge): never given to a guest, whatever its group. */
bool group_view_is_bridge(const struct pci_device *d);
/*
 * "can go to a guest whole", "stays with the host" or "the host keeps part of it", and
 * whether the host is reached through a member; for the devices in no group, why none of
 * them can go.
 */
const char *group_entry_verdict(const struct group_entry *e);

/* The bridges between a GPU and its root complex, the root port first. */
struct gpu_path {
        size_t gpu;                 /* index into machine.devices */
        size_t *bridges;            /* indices into machine.devices */
        struct acs_info *acs;       /* each bridge's */
        size_t n_bridges;
};

struct group_view {
        struct group_entry *groups; /* by id */
        size_t n_groups;
        /*
         * Devices in no group while others have one: the IOMMU does not translate for them
         * (intel_iommu=igfx_off leaves the iGPU out), so none can go to a guest.
         */
        struct group_entry ungrouped;
        struct gpu_path *paths;     /* the GPUs of the groups shown, in device order */
        size_t n_paths;
};

enum group_filter {
        GROUPS_ALL,
        GROUPS_GPUS,                /* groups holding a GPU or another function of a GPU's slot */
        GROUPS_ONE,                 /* the group given */
};

/* -ENOENT when GROUPS_ONE names no group; -ENODATA when the kernel has no IOMMU groups. */
int group_view_build(const struct sysroot *sr, const struct machine *m, enum group_filter filter, int group,
                     struct group_view **ret);
void group_view_free(struct group_view *v);

/* "SV TB RR CR UF EC DT" for the ACS features set in a register; writes at most size bytes. */
void acs_bits_text(uint16_t bits, char *buf, size_t size);
/* Parses the ACS capability from config space bytes (len of them); exported for tests. */
struct acs_info acs_from_config(const unsigned char *config, size_t len);
