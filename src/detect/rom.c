/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio-setup/rom.h"

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
                /* The specification's limit, and a guard against a loop of images that never say "last". */
                if (last || info.n_images == 64)
                        break;
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

int rom_read(const struct sysroot *sr, const char *address, const struct rom_io *io, unsigned char **ret, size_t *ret_len)
{
        char rel[96], *data = NULL;
        size_t len = 0;
        int r, off;

        snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/rom", address);
        if (!sysroot_exists(sr, rel))
                return -ENOENT;
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
