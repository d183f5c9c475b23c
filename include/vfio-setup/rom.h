/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio-setup/sysroot.h"

/*
 * A GPU's option ROM (video BIOS): read through sysfs and checked image by
 * image (PCI Firmware Specification 3.0: the 0x55AA signature, the "PCIR" data
 * structure it points to, the ids, code type, length and last-image flag).
 */

#define ROM_MAX (16u << 20)     /* the largest expansion ROM a BAR can map */
#define ROM_MAX_IMAGES 64       /* a chain this long that never says "last" is not a ROM */

struct rom_image {
        size_t offset, length;      /* bytes */
        uint16_t vendor_id, device_id;
        uint8_t code_type;          /* 0 x86, 1 Open Firmware, 2 PA-RISC, 3 UEFI */
};

struct rom_info {
        struct rom_image *images;
        size_t n_images;
};

/* The code type's name: "legacy x86 (VGA BIOS)", "UEFI (GOP driver)", ... */
/* An image's size as people read it: "64 KiB", or "512 bytes" where KiB would round. */
void rom_size_text(size_t bytes, char *buf, size_t size);
const char *rom_code_type_name(uint8_t code_type);
/* The images of a ROM; -EBADMSG and a sentence in *ret_problem (allocated) when it is not one. */
int rom_parse(const unsigned char *data, size_t len, struct rom_info *ret, char **ret_problem);
void rom_info_free(struct rom_info *r);

/* Where the sysfs writes go: the attribute, or (tests) a log of "path value" lines. */
struct rom_io {
        const char *write_log;
};
/*
 * Reads the ROM of the device at address: enables it (writes 1 to the rom
 * attribute), reads it, disables it again (0), also when the read fails.
 * -ENOENT when the device has no ROM attribute; -VS_E_NOT_SYSFS, before any
 * write, when the attribute is not on sysfs (a copied tree) and no log is given.
 */
int rom_read(const struct sysroot *sr, const char *address, const struct rom_io *io, unsigned char **ret, size_t *ret_len);

struct pci_device;
/*
 * The video BIOS of the GPU d, read (rom_read) and checked: the boot display
 * is refused before anything is touched (the kernel gives its ROM from the
 * copy the firmware ran and changed), and what is read must parse and name
 * this card (every image its vendor, the first its device).  A refusal is
 * -VS_E_SELECTION with a sentence, what to do included, in *ret_problem;
 * -ENOENT without a rom attribute; other errors from the read.
 */
int rom_fetch(const struct sysroot *sr, const struct pci_device *d, const struct rom_io *io, unsigned char **ret,
              size_t *ret_len, struct rom_info *ret_info, char **ret_problem);
