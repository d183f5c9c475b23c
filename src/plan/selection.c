/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/machine.h"
#include "vfio-setup/pciaddr.h"
#include "vfio-setup/selection.h"
#include "vfio-setup/state.h"

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
        strv_free(&s->more_gpus);
        strv_free(&s->proxmox);
        free(s->lg.user);
        free(s->single_gpu);
        free(s->handover);
        strv_free(&s->extra);
        strv_free(&s->disks);
        strv_free(&s->allow_host);
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

/*
 * The devices beyond the GPU's slot (controllers chosen before) become extras, so that
 * changing the GPU keeps them; what sel already has (from the command line) wins.
 */
int selection_confirm_trial(const struct tool_state *t, struct selection *sel)
{
        sel->allow_dirty_group = sel->allow_boot_vga = true;
        strv_free(&sel->allow_host);
        return strv_merge(&sel->allow_host, &t->devices);
}

int selection_from_state(const struct tool_state *t, struct selection *sel)
{
        struct looking_glass *lg = &sel->lg;
        unsigned width, height, slot[4], other[4];
        enum goal g;
        int r = 0;

        if (!t->present)
                return 0;
        if (!sel->gpu && t->devices.n && !(sel->gpu = strdup(t->devices.v[0])))
                return -ENOMEM;
        if (t->devices.n && pci_address_parse(t->devices.v[0], &slot[0], &slot[1], &slot[2], &slot[3]) == 0)
                for (size_t i = 1; i < t->devices.n && r >= 0; i++)
                        if (pci_address_parse(t->devices.v[i], &other[0], &other[1], &other[2], &other[3]) == 0 &&
                            (other[0] != slot[0] || other[1] != slot[1] || other[2] != slot[2]) &&
                            !strv_contains(&sel->extra, t->devices.v[i]))
                                r = strv_push(&sel->extra, t->devices.v[i]);
        for (size_t i = 0; i < t->disks.n && r >= 0; i++)
                if (!strv_contains(&sel->disks, t->disks.v[i]))
                        r = strv_push(&sel->disks, t->disks.v[i]);
        if (r >= 0 && !sel->single_gpu && t->single_gpu.n && !(sel->single_gpu = strdup(t->single_gpu.v[0])))
                r = -ENOMEM;
        if (r >= 0 && !sel->handover && !sel->single_gpu && t->handover.n && !(sel->handover = strdup(t->handover.v[0])))
                r = -ENOMEM;
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->goals.n; i++)
                if (goal_from_name(t->goals.v[i], &g) == 0)
                        sel->goals |= 1u << g;
        if (t->vm.n == 2) {
                if (!sel->vm.memory_mib)
                        sel->vm.memory_mib = strtoul(t->vm.v[0], NULL, 10);
                if (!sel->vm.cpus)
                        sel->vm.cpus = (unsigned)strtoul(t->vm.v[1], NULL, 10);
        }
        if (t->looking_glass.n < 3)
                return 0;
        if (!lg->width && sscanf(t->looking_glass.v[0], "%ux%u", &width, &height) == 2) {
                lg->width = width;
                lg->height = height;
        }
        lg->kvmfr = lg->kvmfr || strcmp(t->looking_glass.v[1], "kvmfr") == 0;
        lg->hdr = lg->hdr || (t->looking_glass.n > 3 && strcmp(t->looking_glass.v[3], "hdr") == 0);
        if (!lg->user && !(lg->user = strdup(t->looking_glass.v[2])))
                return -ENOMEM;
        return 0;
}
