/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/machine.h"
#include "vfio-setup/rom.h"
#include "vfio-setup/remedy.h"

static uint16_t le16(const unsigned char *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

const char *rom_code_type_name(uint8_t code_type)
{
        static const char *const names[] = {
                [0] = "legacy x86 (VGA BIOS)",
                [1] = "Open Firmware",
                [2] = "PA-RISC",
                [3] = "UEFI (GOP driver)",
        };

        return code_type < sizeof(names) / sizeof(names[0]) ? names[code_type] : "unknown code type";
}

void rom_size_text(size_t bytes, char *buf, size_t size)
{
        if (bytes % 1024 == 0 && bytes)
                snprintf(buf, size, "%zu KiB", bytes / 1024);
        else
                snprintf(buf, size, "%zu bytes", bytes);
}

static int __attribute__((format(printf, 2, 3))) problem(char **ret_problem, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_problem, fmt, ap) < 0)
                *ret_problem = NULL;
        va_end(ap);
        return -EBADMSG;
}

void rom_info_free(struct rom_info *r)
{
        free(r->images);
        r->images = NULL;
        r->n_images = 0;
}

int rom_parse(const unsigned char *data, size_t len, struct rom_info *ret, char **ret_problem)
{
        struct rom_info info = { 0 };
        size_t at = 0;

        *ret_problem = NULL;
        for (;;) {
                struct rom_image *v, img = { .offset = at };
                size_t pcir;
                bool last;

                if (at + 0x1a > len || data[at] != 0x55 || data[at + 1] != 0xaa) {
                        rom_info_free(&info);
                        if (at)
                                return problem(ret_problem, "the image at byte %zu does not start with the 0x55AA "
                                                            "signature although the one before says more follow", at);
                        return problem(ret_problem, "it does not start with the 0x55AA signature of an option ROM");
                }
                pcir = at + le16(data + at + 0x18);
                if (pcir + 0x18 > len || memcmp(data + pcir, "PCIR", 4) != 0) {
                        rom_info_free(&info);
                        return problem(ret_problem, "the image at byte %zu has no PCI data structure (\"PCIR\")", at);
                }
                img.vendor_id = le16(data + pcir + 4);
                img.device_id = le16(data + pcir + 6);
                img.length = (size_t)le16(data + pcir + 0x10) * 512;
                img.code_type = data[pcir + 0x14];
                last = data[pcir + 0x15] & 0x80;
                if (img.length == 0 || at + img.length > len) {
                        rom_info_free(&info);
                        return problem(ret_problem, "the image at byte %zu says it is longer than what was read", at);
                }
                v = reallocarray(info.images, info.n_images + 1, sizeof(*v));
                if (!v) {
                        rom_info_free(&info);
                        return -ENOMEM;
                }
                info.images = v;
                info.images[info.n_images++] = img;
                at += img.length;
                if (last)
                        break;
                /* The specification's limit: a chain longer than that never said which image is the last. */
                if (info.n_images == ROM_MAX_IMAGES) {
                        rom_info_free(&info);
                        return problem(ret_problem, "its chain of images does not end: %d images, and none says it "
                                                    "is the last", ROM_MAX_IMAGES);
                }
        }
        *ret = info;
        return 0;
}

static int write_attr(const struct sysroot *sr, const char *rel, const char *value, const struct rom_io *io)
{
        ssize_t n;
        int fd, r = 0;

        if (io && io->write_log) {
                FILE *f = fopen(io->write_log, "ae");

                if (!f)
                        return -errno;
                fprintf(f, "%s %s\n", rel, value);
                return fclose(f) == 0 ? 0 : -errno;
        }
        r = sysroot_open(sr, rel, O_WRONLY | O_CLOEXEC, &fd);
        if (r < 0)
                return r;
        n = write(fd, value, strlen(value));
        if (n != (ssize_t)strlen(value))
                r = n < 0 ? -errno : -EIO;
        close(fd);
        return r;
}

/* Writing "1" to a copied tree's rom file would replace the copy it holds. */
static int check_sysfs(const struct sysroot *sr, const char *rel)
{
        struct statfs st;
        int fd, r;

        r = sysroot_open(sr, rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC, &fd);
        if (r < 0)
                return r;
        r = fstatfs(fd, &st) < 0 ? -errno : st.f_type == SYSFS_MAGIC ? 0 : -VS_E_NOT_SYSFS;
        close(fd);
        return r;
}

int rom_read(const struct sysroot *sr, const char *address, const struct rom_io *io, unsigned char **ret, size_t *ret_len)
{
        char rel[96], *data = NULL;
        size_t len = 0;
        int r, off;

        snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/rom", address);
        if (!sysroot_exists(sr, rel))
                return -ENOENT;
        if (!(io && io->write_log) && (r = check_sysfs(sr, rel)) < 0)
                return r;
        r = write_attr(sr, rel, "1", io);
        if (r < 0)
                return r;
        r = sysroot_read(sr, rel, ROM_MAX, &data, &len);
        /* Disabled again whatever the read gave: the ROM stays as it was found. */
        off = write_attr(sr, rel, "0", io);
        if (r >= 0 && off < 0) {
                free(data);
                r = off;
        }
        if (r < 0)
                return r;
        *ret = (unsigned char *)data;
        *ret_len = len;
        return 0;
}

/* A refusal of rom_fetch: its sentence, or -ENOMEM. */
static int __attribute__((format(printf, 2, 3))) refuse(char **ret_problem, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(ret_problem, fmt, ap);
        va_end(ap);
        if (n < 0) {
                *ret_problem = NULL;
                return -ENOMEM;
        }
        return -VS_E_SELECTION;
}

/* The image must be this card's: every image names its vendor, and the first its device. */
static int ids_match(const struct rom_info *info, const struct pci_device *d, char **ret_problem)
{
        for (size_t i = 0; i < info->n_images; i++) {
                const struct rom_image *img = &info->images[i];

                if (img->vendor_id != d->vendor_id || (i == 0 && img->device_id != d->device_id))
                        return refuse(ret_problem, "the ROM read is not this card's: image %zu names %04x:%04x, the "
                                                    "card is %04x:%04x; nothing was written",
                                       i + 1, img->vendor_id, img->device_id, d->vendor_id, d->device_id);
        }
        return 0;
}

int rom_fetch(const struct sysroot *sr, const struct pci_device *d, const struct rom_io *io, unsigned char **ret,
              size_t *ret_len, struct rom_info *ret_info, char **ret_problem)
{
        struct rom_info info = { 0 };
        unsigned char *data = NULL;
        char *why = NULL;
        size_t len = 0;
        int r;

        /* pci_map_rom hands out the boot display's shadow copy: patched at run time, often without the UEFI image. */
        if (d->boot_vga == 1)
                return refuse(ret_problem, "%s is the boot display: the kernel gives its ROM from the copy the "
                                            "firmware ran and changed, not the card's own; nothing was read. Make "
                                            "another GPU the boot display (the firmware's primary display setting, or "
                                            "another slot) and read it then, or read it in another machine where it "
                                            "is not",
                               d->address);
        r = rom_read(sr, d->address, io, &data, &len);
        if (r == -VS_E_NOT_SYSFS)
                return refuse(ret_problem, "%s/sys is not the kernel's sysfs but a copy of it: a card's ROM is read "
                                           "from the running kernel, " REMEDY(LIVE_ROOT) "; nothing was written",
                              strcmp(sysroot_dir(sr), "/") == 0 ? "" : sysroot_dir(sr));
        if (r < 0)
                return r;
        r = rom_parse(data, len, &info, &why);
        if (r < 0) {
                free(data);
                if (r != -EBADMSG) {
                        free(why);
                        return r;
                }
                r = refuse(ret_problem, "what %s gave is not a ROM image: %s; nothing was written. A card that is "
                                         "in use (driver %s) can give garbage: read it with the GPU bound to vfio-pci "
                                         "or to no driver",
                            d->address, why ? why : "unreadable", d->driver ? d->driver : "none");
                free(why);
                return r;
        }
        r = ids_match(&info, d, ret_problem);
        if (r < 0) {
                rom_info_free(&info);
                free(data);
                return r;
        }
        *ret = data;
        *ret_len = len;
        *ret_info = info;
        return 0;
}
