/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/machine.h"
#include "vfio-setup/sysroot.h"

/*
 * Detection reads the system below the root and never writes.  Each module
 * fills its part of the machine; facts that cannot be read are left unknown
 * and explained in machine.warnings.  Only resource failures (-ENOMEM) and a
 * broken PCI library are errors.
 */
int detect_machine(const struct sysroot *sr, struct machine **ret);

int detect_cpu(const struct sysroot *sr, struct machine *m);
/* CPU cores, their SMT siblings and L3 groups, and the memory: what a guest can be given. */
int detect_topology(const struct sysroot *sr, struct machine *m);
int detect_board(const struct sysroot *sr, struct machine *m);
int detect_iommu(const struct sysroot *sr, struct machine *m);
int detect_pci(const struct sysroot *sr, struct machine *m);
/* Needs detect_pci, detect_iommu, detect_storage and detect_host_ways first. */
int detect_groups(struct machine *m);
/*
 * How the user reaches the host: network controllers of the default route and of ssh sessions,
 * the controllers of keyboards and pointers, GPUs lighting a screen.  Needs detect_pci first.
 */
int detect_host_ways(const struct sysroot *sr, struct machine *m);
int detect_distro(const struct sysroot *sr, struct machine *m);
int detect_esp(const struct sysroot *sr, struct machine *m);
/* Needs detect_esp and detect_distro first. */
int detect_bootloader(const struct sysroot *sr, struct machine *m);
/* What a one-time trial boot depends on: the loader's variables, where GRUB keeps its environment. */
int detect_boot_once(const struct sysroot *sr, struct machine *m);
/* Needs detect_distro first. */
int detect_initramfs(const struct sysroot *sr, struct machine *m);
/* The devices plugged into each USB controller. Needs detect_pci first. */
int detect_usb(const struct sysroot *sr, struct machine *m);
/* Disks on PCI controllers and where the host uses them. Needs detect_pci first. */
int detect_storage(const struct sysroot *sr, struct machine *m);
/* Needs detect_pci first. */
int detect_vfio_state(const struct sysroot *sr, struct machine *m);

/* Adds a warning about a file that could not be read; ENOENT is not worth one. */
int detect_warn_file(struct machine *m, const char *path, int err);
