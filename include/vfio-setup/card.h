/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vfio-setup/strv.h"

/*
 * A machine card is the IOMMU group listing people post
 *   IOMMU Group 14 0b:00.0 VGA compatible controller [0300]: AMD ... [1002:73bf] (rev c1)
 * (or the same lines under "IOMMU Group 14:" headers), plus "# key: value"
 * lines for what the listing does not show:
 *   cpu: amd|intel   cpu-model: TEXT   virt: yes|no   hypervisor: yes|no
 *   firmware-iommu: yes|no   kernel-iommu: yes|no   cmdline: TEXT   kernel: RELEASE
 *   boot-vga: BDF    driver: BDF NAME   os-release: FILE   file: DEST=SRC
 *   board-vendor / board-name / bios-version / sys-vendor: TEXT
 *   builtin: MODULE (listed in modules.builtin)   mount: POINT FSTYPE SOURCE
 *   touch: PATH (an empty file)   line: PATH=TEXT (appends a line)
 *   cpu-topology: cores=N [smt=1|2] [l3=CORES_PER_L3] [numbering=split|adjacent] [e-cores=N]
 *   cpu-flags: FLAGS (added to cpuinfo's)   memory: MiB (MemTotal)
 *   disk: BDF NAME SIZE_GIB [BY-ID [MODEL...]]   partition: DISK N FSTYPE [LABEL]
 *   dm: NAME MAPPER-NAME SLAVE...   swap: DEVICE   usb: BDF PORT PRODUCT
 *   secondary-bus: BRIDGE BUS (the bus's devices nest below the bridge in sysfs; else
 *   below the host bridge)
 * FILE and SRC are relative to the card.  card_build_root turns a card into a
 * directory usable as --root: sysfs, procfs and /etc as the kernel and the
 * distribution would show them.
 */
struct card_device {
        unsigned domain, bus, dev, func;
        int group;                  /* -1 where the listing has none */
        uint16_t class_id;
        uint8_t prog_if, revision;
        uint16_t vendor_id, device_id;
};

struct card {
        char *dir;                  /* the card's directory, for relative file names */
        struct card_device *devices;
        size_t n_devices;
        struct strv keys;           /* "key\tvalue", in card order */
};

/* -VS_E_CARD_EMPTY when the card lists no device. */
int card_parse(const char *text, const char *dir, struct card *ret);
int card_load(const char *path, struct card *ret);
void card_free(struct card *c);

/* Builds the root in dir, which must not exist or be empty. */
int card_build_root(const struct card *c, const char *dir);
