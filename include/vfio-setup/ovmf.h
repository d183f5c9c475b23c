/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/sysroot.h"

/* The UEFI firmware for guests (OVMF) as the distribution installs it. */
struct ovmf_paths {
        const char *code;           /* read-only firmware, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd" */
        const char *vars;           /* the template of each guest's variable store */
        bool secure_boot;           /* the code enforces Secure Boot, with Microsoft's keys enrolled in vars */
};

/* The first pair present below the root, Secure Boot ones first; -ENOENT when none is. */
int ovmf_find(const struct sysroot *sr, struct ovmf_paths *ret);
