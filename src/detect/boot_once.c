/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockdev.h"
#include "efivars.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/state.h"

/* Whether the mount point holds path: "/" holds everything, "/boot" holds "/boot/grub". */
static size_t holds(const char *point, const char *path)
{
        size_t n = strlen(point);

        if (strcmp(point, "/") == 0)
                return 1;
        return strncmp(point, path, n) == 0 && (path[n] == '/' || path[n] == '\0') ? n : 0;
}

/*
 * GRUB writes its environment block in place, by the sectors the file occupies: not on a file
 * system that checksums or compresses them (btrfs, ZFS), nor through LVM, device-mapper
 * (LUKS) or mdraid, whose layout it only reads.  What lies below the mount holding it.
 */
static int grub_env_mount(const struct sysroot *sr, struct boot_once *b)
{
        const char *dir = sysroot_exists(sr, "boot/grub2/grub.cfg") ? "/boot/grub2" : "/boot/grub";
        struct mount best = { 0 };
        const char *layer = NULL;
        size_t best_len = 0;
        char *text, *line, *save = NULL, rel[64];
        int r;

        r = sysroot_read(sr, "proc/self/mountinfo", 0, &text, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct mount mt;
                size_t n;

                if (mount_parse(line, &mt) < 0)
                        continue;
                n = mt.point ? holds(mt.point, dir) : 0;
                /* The last mount on a point is the one seen there. */
                if (n && n >= best_len) {
                        mount_clear(&best);
                        best = mt;
                        best_len = n;
                } else
                        mount_clear(&mt);
        }
        free(text);
        if (!best_len)
                return 0;
        r = 0;
        if (best.fstype && !(b->grub_fs = strdup(best.fstype)))
                r = -ENOMEM;
        snprintf(rel, sizeof(rel), "sys/dev/block/%u:%u/dm", best.major, best.minor);
        if (r >= 0 && (sysroot_exists(sr, rel) || (best.source && strncmp(best.source, "/dev/mapper/", 12) == 0)))
                layer = "LVM or device-mapper";
        snprintf(rel, sizeof(rel), "sys/dev/block/%u:%u/md", best.major, best.minor);
        if (r >= 0 && !layer && (sysroot_exists(sr, rel) || (best.source && strncmp(best.source, "/dev/md", 7) == 0)))
                layer = "mdraid";
        if (layer && !(b->grub_layer = strdup(layer)))
                r = -ENOMEM;
        mount_clear(&best);
        return r;
}

/* The one-time boot names the trial's entry: systemd-boot's variable, or next_entry in GRUB's environment block. */
static int armed(const struct sysroot *sr, bool *ret)
{
        static const char *const envs[] = { "boot/grub/grubenv", "boot/grub2/grubenv" };
        char *oneshot = NULL;
        int r = efivar_string(sr, LOADER_VAR("LoaderEntryOneShot"), &oneshot);

        if (r == -ENOMEM)
                return r;
        *ret = r >= 0 && strcmp(oneshot, TRIAL_ENTRY_ID ".conf") == 0;
        free(oneshot);
        for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]) && !*ret; i++) {
                char *text;

                r = sysroot_read(sr, envs[i], 4096, &text, NULL);
                if (r == -ENOMEM)
                        return r;
                *ret = r >= 0 && strstr(text, "\nnext_entry=" TRIAL_ENTRY_ID "\n");
                if (r >= 0)
                        free(text);
        }
        return 0;
}

int detect_boot_once(const struct sysroot *sr, struct machine *m)
{
        struct boot_once *b = &m->boot_once;
        int r;

        r = efivar_string(sr, LOADER_VAR("LoaderEntrySelected"), &b->entry_selected);
        if (r == -ENOMEM)
                return r;
        r = efivar_string(sr, LOADER_VAR("LoaderEntryDefault"), &b->entry_default);
        if (r == -ENOMEM)
                return r;
        r = efivar_u64(sr, LOADER_VAR("LoaderFeatures"), &b->loader_features);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                b->loader_features = 0;
        b->trial_booted = m->iommu.cmdline && kcmdline_has(m->iommu.cmdline, TRIAL_PARAM_KEY, "1");
        r = armed(sr, &b->trial_armed);
        return r < 0 ? r : grub_env_mount(sr, b);
}
