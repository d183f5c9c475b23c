/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/detect.h"

/* What the bootloader detector already read that the rules need too. */
struct boot_facts {
        const char *loader_info;        /* systemd's LoaderInfo EFI variable, NULL without it */
};

/*
 * Whether a tool owns the boot chain (rpm-ostree, proxmox-boot-tool,
 * sdbootutil): 1 with its kind and the evidence, 0 when none does.
 */
int detect_boot_chain(const struct sysroot *sr, const struct machine *m, const struct boot_facts *f, struct strv *ret_why,
                      int *ret_kind);
