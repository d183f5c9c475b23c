/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/machine.h"

/* What the storage goal needs to know about disks and their controllers. */

/* "nvme1n1 (931.5 GiB, WD_BLACK SN750 1TB; vfat, ntfs "Windows")" (allocated; NULL on ENOMEM). */
char *disk_summary(const struct block_disk *d);
/* Its mount points and swap, space-separated (allocated; NULL on ENOMEM). */
char *disk_uses(const struct block_disk *d);
/* The first disk on the controller that the host uses (mounted, swap); -ENOENT when none. */
int controller_host_disk(const struct machine *m, size_t device, size_t *ret_disk);
/* Whether the controller has disks at all. */
bool controller_has_disks(const struct machine *m, size_t device);
/*
 * Why the host cannot give the device away, a few words to follow "DEVICE is",
 * or NULL when it can: the chipset's own functions (host bridge, ISA/LPC
 * bridge, SMBus), AMD's platform security processor, a controller holding the
 * host's disks, or whose disks' use could not be read (sys/block, the mount
 * table: unknown counts as used).  Allocated.  The ways the host is reached
 * (device_host_ways) can be given away when the user says so; these never.
 */
char *device_host_needs(const struct machine *m, size_t device);
/* Whether the device is alone in its IOMMU group (bridges aside). */
bool device_alone_in_group(const struct machine *m, size_t device);
