/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vfio-setup/detect.h"

/* Where systemd looks for the ESP, in its order (bootctl, find-esp). */
static const char *const esp_mount_points[] = { "/efi", "/boot", "/boot/efi" };

#define ESP_TYPE_GUID "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

struct mount {
        char *point, *fstype, *source;
        unsigned major, minor;
};

static void mount_clear(struct mount *mt)
{
        free(mt->point);
        free(mt->fstype);
        free(mt->source);
        *mt = (struct mount){ 0 };
}

/* mountinfo escapes white space in paths as octal. */
static void unescape(char *s)
{
        char *w = s;

        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
                        *w++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else
                        *w++ = *p;
        }
        *w = '\0';
}

static int parse_mount(char *line, struct mount *ret)
{
        char *fields[16], *save = NULL, *sep;
        size_t n = 0;

        for (char *f = strtok_r(line, " ", &save); f && n < 16; f = strtok_r(NULL, " ", &save))
                fields[n++] = f;
        /* id parent maj:min root point options [optional...] - fstype source superopts */
        if (n < 10)
                return -EBADMSG;
        sep = NULL;
        for (size_t i = 6; i < n; i++)
                if (strcmp(fields[i], "-") == 0) {
                        sep = fields[i];
                        if (i + 2 >= n)
                                return -EBADMSG;
                        unescape(fields[4]);
                        unescape(fields[i + 2]);
                        *ret = (struct mount){ 0 };
                        if (sscanf(fields[2], "%u:%u", &ret->major, &ret->minor) != 2)
                                return -EBADMSG;
                        ret->point = strdup(fields[4]);
                        ret->fstype = strdup(fields[i + 1]);
                        ret->source = strdup(fields[i + 2]);
                        if (!ret->point || !ret->fstype || !ret->source) {
                                mount_clear(ret);
                                return -ENOMEM;
                        }
                        break;
                }
        return sep ? 0 : -EBADMSG;
}

/* udev's database holds what blkid said when the device appeared; it needs no privileges. */
static int udev_says(const struct sysroot *sr, const struct mount *mt, char **ret_fs, char **ret_type)
{
        char path[64], *data, *line, *save = NULL;
        int r;

        snprintf(path, sizeof(path), "run/udev/data/b%u:%u", mt->major, mt->minor);
        r = sysroot_read(sr, path, 64 * 1024, &data, NULL);
        if (r < 0)
                return r;
        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (startswith(line, "E:ID_FS_TYPE=") && !*ret_fs)
                        *ret_fs = strdup(line + strlen("E:ID_FS_TYPE="));
                else if (startswith(line, "E:ID_PART_ENTRY_TYPE=") && !*ret_type)
                        *ret_type = strdup(line + strlen("E:ID_PART_ENTRY_TYPE="));
        }
        free(data);
        return 0;
}

static int blkid_says(const struct sysroot *sr, const struct mount *mt, char **ret_fs, char **ret_type)
{
        const char *value;
        blkid_probe pr;
        char *dev;
        int r;

        if (mt->source[0] != '/')
                return -ENODEV;
        r = sysroot_path(sr, mt->source, &dev);
        if (r < 0)
                return r;
        pr = blkid_new_probe_from_filename(dev);
        free(dev);
        if (!pr)
                return errno ? -errno : -EACCES;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        r = blkid_do_safeprobe(pr) == 0 ? 0 : -EIO;
        if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0)
                *ret_fs = strdup(value);
        if (r == 0 && blkid_probe_lookup_value(pr, "PART_ENTRY_TYPE", &value, NULL) == 0)
                *ret_type = strdup(value);
        blkid_free_probe(pr);
        return r;
}

static int confirm(const struct sysroot *sr, const struct mount *mt, struct esp_info *esp)
{
        char *fs = NULL, *type = NULL;
        int r;

        if (udev_says(sr, mt, &fs, &type) < 0 && blkid_says(sr, mt, &fs, &type) < 0) {
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

                if (parse_mount(line, &mt) < 0)
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
