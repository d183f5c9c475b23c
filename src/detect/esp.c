/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blockdev.h"
#include "vfio-setup/detect.h"

/* Where systemd looks for the ESP, in its order (bootctl, find-esp). */
static const char *const esp_mount_points[] = { "/efi", "/boot", "/boot/efi" };

#define ESP_TYPE_GUID "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

static int confirm(const struct sysroot *sr, const struct mount *mt, struct esp_info *esp)
{
        struct block_probe p = { 0 };
        char *fs, *type;
        int r;

        r = block_probe(sr, mt->major, mt->minor, mt->source, &p);
        if (r == -ENOMEM)
                return r;
        fs = p.fs_type;
        type = p.part_type;
        free(p.label);
        if (r < 0) {
                esp->confirmed = TRI_UNKNOWN;
                r = strv_pushf(&esp->evidence, "%s could not be probed (needs root or udev); trusting the mount table",
                               mt->source);
        } else if (fs && strcmp(fs, "vfat") == 0 && type && strcasecmp(type, ESP_TYPE_GUID) == 0) {
                esp->confirmed = TRI_YES;
                r = strv_pushf(&esp->evidence, "%s is vfat with the GPT EFI System Partition type", mt->source);
        } else {
                esp->confirmed = TRI_NO;
                r = strv_pushf(&esp->evidence, "%s is %s with partition type %s, not an EFI System Partition",
                               mt->source, fs ? fs : "of unknown file system", type ? type : "unknown");
        }
        esp->major = mt->major;
        esp->minor = mt->minor;
        esp->fs_type = fs;
        esp->part_type = type;
        return r;
}

static int from_mountinfo(const struct sysroot *sr, const char *mountinfo, struct esp_info *esp)
{
        struct mount found[3] = { 0 };
        char *copy, *line, *save = NULL;
        int r = 0;

        copy = strdup(mountinfo);
        if (!copy)
                return -ENOMEM;
        for (line = strtok_r(copy, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                struct mount mt;

                if (mount_parse(line, &mt) < 0)
                        continue;
                for (size_t i = 0; i < 3; i++)
                        if (strcmp(mt.point, esp_mount_points[i]) == 0) {
                                /* A later mount on the same point hides the earlier one. */
                                mount_clear(&found[i]);
                                found[i] = mt;
                                mt = (struct mount){ 0 };
                                break;
                        }
                mount_clear(&mt);
        }
        free(copy);
        for (size_t i = 0; i < 3 && !esp->path; i++) {
                if (!found[i].point || strcmp(found[i].fstype, "vfat") != 0)
                        continue;
                esp->path = strdup(found[i].point);
                esp->device = strdup(found[i].source);
                if (!esp->path || !esp->device)
                        r = -ENOMEM;
                if (r >= 0)
                        r = strv_pushf(&esp->evidence, "vfat mounted on %s (proc/self/mountinfo)", found[i].point);
                if (r >= 0)
                        r = confirm(sr, &found[i], esp);
        }
        for (size_t i = 0; i < 3; i++)
                mount_clear(&found[i]);
        return r;
}

/* Without a mount table (a captured or generated root) the layout is all there is. */
static int from_layout(const struct sysroot *sr, struct esp_info *esp)
{
        for (size_t i = 0; i < 3; i++) {
                char path[64];

                snprintf(path, sizeof(path), "%s/EFI", esp_mount_points[i]);
                if (!sysroot_is_dir(sr, path))
                        continue;
                esp->path = strdup(esp_mount_points[i]);
                if (!esp->path)
                        return -ENOMEM;
                esp->confirmed = TRI_UNKNOWN;
                return strv_pushf(&esp->evidence, "%s has an EFI directory (no mount table to confirm it)", path);
        }
        return 0;
}

int detect_esp(const struct sysroot *sr, struct machine *m)
{
        char *mountinfo;
        int r;

        m->esp.confirmed = TRI_UNKNOWN;
        r = sysroot_read(sr, "proc/self/mountinfo", 0, &mountinfo, NULL);
        if (r == 0) {
                r = from_mountinfo(sr, mountinfo, &m->esp);
                free(mountinfo);
                if (r < 0 || m->esp.path)
                        return r;
        } else if (r != -ENOENT && (r = detect_warn_file(m, "proc/self/mountinfo", r)) < 0)
                return r;
        return from_layout(sr, &m->esp);
}
