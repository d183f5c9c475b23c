/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/machine.h"
#include "vfio-setup/selection.h"

static const char *const goals[_GOAL_MAX] = {
#define GOAL_NAME(id, name, text) [GOAL_##id] = name,
        GOALS(GOAL_NAME)
#undef GOAL_NAME
};

int goal_from_name(const char *name, enum goal *ret)
{
        for (int g = 0; g < _GOAL_MAX; g++)
                if (strcmp(goals[g], name) == 0) {
                        *ret = (enum goal)g;
                        return 0;
                }
        return -EINVAL;
}

const char *goal_name(enum goal g)
{
        return g >= 0 && g < _GOAL_MAX ? goals[g] : "";
}

int bootloader_from_name(const char *name, int *ret)
{
        for (int k = 0; k < _BOOTLOADER_MAX; k++)
                if (strcmp(bootloader_name((enum bootloader_kind)k), name) == 0) {
                        *ret = k;
                        return 0;
                }
        return -EINVAL;
}

int initramfs_from_name(const char *name, int *ret)
{
        for (int k = 0; k < _INITRAMFS_MAX; k++)
                if (strcmp(initramfs_name((enum initramfs_kind)k), name) == 0) {
                        *ret = k;
                        return 0;
                }
        return -EINVAL;
}

void selection_free(struct selection *s)
{
        free(s->gpu);
        free(s->lg.user);
        strv_free(&s->extra);
        strv_free(&s->disks);
}

void hugepages_for(unsigned long memory_mib, bool pdpe1gb, unsigned long *ret_page_kib, unsigned long *ret_count)
{
        bool gib = pdpe1gb && memory_mib % 1024 == 0;

        *ret_page_kib = gib ? 1024 * 1024 : 2048;
        *ret_count = gib ? memory_mib / 1024 : (memory_mib + 1) / 2;
}

int memory_size_parse(const char *text, unsigned long *ret_mib)
{
        static const struct {
                const char *suffix;
                unsigned long mib;
        } units[] = { { "", 1 }, { "M", 1 }, { "MiB", 1 }, { "G", 1024 }, { "GiB", 1024 } };
        unsigned long v;
        char *end;

        if (!isdigit((unsigned char)*text))
                return -EINVAL;
        errno = 0;
        v = strtoul(text, &end, 10);
        for (size_t i = 0; errno == 0 && i < sizeof(units) / sizeof(units[0]); i++) {
                if (strcmp(end, units[i].suffix) != 0 || v > (1ul << 30) / units[i].mib || v * units[i].mib < 256)
                        continue;
                *ret_mib = v * units[i].mib;
                return 0;
        }
        return -EINVAL;
}

void looking_glass_resolution(const struct looking_glass *lg, unsigned *ret_width, unsigned *ret_height)
{
        *ret_width = lg->width ? lg->width : 1920;
        *ret_height = lg->height ? lg->height : 1080;
}

unsigned looking_glass_size_mb(unsigned width, unsigned height, bool hdr)
{
        /*
         * Looking Glass's install guide ("Determining memory"): width x height x BPP x 2 bytes, BPP 4
         * for 32-bit RGB (SDR) or 8 for 64-bit (HDR), in MiB, + 10, rounded up to a power of two.
         */
        unsigned long long bytes = (unsigned long long)width * height * (hdr ? 8 : 4) * 2;
        unsigned long long mib = (bytes + 1024 * 1024 - 1) / (1024 * 1024) + 10;
        unsigned size = 1;

        while (size < mib)
                size *= 2;
        return size;
}
