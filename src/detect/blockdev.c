/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blockdev.h"
#include "vfio-setup/strv.h"

void mount_clear(struct mount *mt)
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

int mount_parse(char *line, struct mount *ret)
{
        char *fields[16], *save = NULL;
        size_t n = 0;

        for (char *f = strtok_r(line, " ", &save); f && n < 16; f = strtok_r(NULL, " ", &save))
                fields[n++] = f;
        /* id parent maj:min root point options [optional...] - fstype source superopts */
        if (n < 10)
                return -EBADMSG;
        for (size_t i = 6; i < n; i++) {
                if (strcmp(fields[i], "-") != 0)
                        continue;
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
                return 0;
        }
        return -EBADMSG;
}

static const struct {
        const char *key;
        size_t offset;
} udev_keys[] = {
        { "E:ID_FS_TYPE=", offsetof(struct block_probe, fs_type) },
        { "E:ID_PART_ENTRY_TYPE=", offsetof(struct block_probe, part_type) },
        { "E:ID_FS_LABEL=", offsetof(struct block_probe, label) },
};

static int udev_says(const struct sysroot *sr, unsigned major, unsigned minor, struct block_probe *p)
{
        char path[64], *data, *line, *save = NULL;
        int r;

        snprintf(path, sizeof(path), "run/udev/data/b%u:%u", major, minor);
        r = sysroot_read(sr, path, 64 * 1024, &data, NULL);
        if (r < 0)
                return r;
        for (line = strtok_r(data, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save))
                for (size_t i = 0; i < sizeof(udev_keys) / sizeof(udev_keys[0]); i++) {
                        char **field = (char **)((char *)p + udev_keys[i].offset);

                        if (startswith(line, udev_keys[i].key) && !*field &&
                            !(*field = strdup(line + strlen(udev_keys[i].key))))
                                r = -ENOMEM;
                }
        free(data);
        return r;
}

static int blkid_says(const struct sysroot *sr, const char *node, struct block_probe *p)
{
        static const struct {
                const char *name;
                size_t offset;
        } values[] = {
                { "TYPE", offsetof(struct block_probe, fs_type) },
                { "PART_ENTRY_TYPE", offsetof(struct block_probe, part_type) },
                { "LABEL", offsetof(struct block_probe, label) },
        };
        const char *value;
        blkid_probe pr;
        struct stat st;
        int fd, r;

        if (!node || node[0] != '/')
                return -ENODEV;
        /* libblkid gets a descriptor opened inside the root: a name could lead it out along a link. */
        r = sysroot_open(sr, node, O_RDONLY | O_NONBLOCK | O_NOCTTY, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0 || !(S_ISBLK(st.st_mode) || S_ISREG(st.st_mode))) {
                close(fd);
                return -ENODEV;
        }
        pr = blkid_new_probe();
        if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0) {
                blkid_free_probe(pr);
                close(fd);
                return -ENOMEM;
        }
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        r = blkid_do_safeprobe(pr) == 0 ? 0 : -EIO;
        for (size_t i = 0; r == 0 && i < sizeof(values) / sizeof(values[0]); i++) {
                char **field = (char **)((char *)p + values[i].offset);

                if (blkid_probe_lookup_value(pr, values[i].name, &value, NULL) == 0 && !(*field = strdup(value)))
                        r = -ENOMEM;
        }
        blkid_free_probe(pr);
        close(fd);
        return r;
}

int block_probe(const struct sysroot *sr, unsigned major, unsigned minor, const char *node, struct block_probe *ret)
{
        struct block_probe p = { 0 };
        int r;

        r = udev_says(sr, major, minor, &p);
        if (r < 0 && r != -ENOMEM) {
                block_probe_clear(&p);
                r = blkid_says(sr, node, &p);
        }
        if (r < 0) {
                block_probe_clear(&p);
                return r;
        }
        *ret = p;
        return 0;
}

void block_probe_clear(struct block_probe *p)
{
        free(p->fs_type);
        free(p->part_type);
        free(p->label);
        *p = (struct block_probe){ 0 };
}
