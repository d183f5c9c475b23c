/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/machine.h"

struct params_input {
        enum cpu_vendor vendor;
        bool iommu_pt;
        bool boot_vga;          /* the GPU is the firmware's console */
        bool ids_on_cmdline;
        const char *ids;        /* "10de:2484,10de:228b" */
};

/* 6.1.0-26-amd64 -> 6001; -1 when unreadable. */
int kernel_version(const char *release);
int wanted_params(const struct params_input *in, struct strv *ret);
/* The modules the initramfs loads before any GPU driver; kernel as from kernel_version (-1: unknown, taken as new). */
int wanted_modules(int kernel, struct strv *ret);
/* Appends the modules that would claim d before vfio-pci. */
int wanted_softdeps(const struct pci_device *d, struct strv *ret);
