/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "blockdev.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/pciaddr.h"

/*
 * Disks and the controllers they hang on.  sys/block/NAME links into the
 * device tree below the PCI function that serves it; the mount table, swap
 * and the holders of LVM, LUKS and RAID devices (sys/block/dm-0/slaves) say
 * which of them the host is using.
 */

/* Stacked block devices (LUKS on LVM on RAID) are seldom deeper than this. */
#define MAX_STACK 8

/* Every entry of sys/block: disks on controllers, and virtual ones (dm, md, loop) that stack on them. */
struct node {
        char *name;
        unsigned major, minor;
        struct strv slaves;         /* what it is built on */
        struct strv part_names;
        char *dm_name;              /* device-mapper's name (/dev/mapper/NAME) */
        ssize_t disk;               /* index into machine.disks, -1 for virtual devices */
};

struct scan {
        const struct sysroot *sr;
        struct machine *m;
        struct node *nodes;
        size_t n_nodes;
};

static int read_dev(const struct sysroot *sr, const char *rel, unsigned *major, unsigned *minor)
{
        char *line;
        int r;

        r = sysroot_read_line(sr, rel, &line);
        if (r < 0)
                return r;
        r = sscanf(line, "%u:%u", major, minor) == 2 ? 0 : -EBADMSG;
        free(line);
        return r;
}

/* The PCI function closest to the disk in its device path: the last "DDDD:BB:DD.F" component. */
static int controller_of(const struct machine *m, const char *target, size_t *ret)
{
        const char *best = NULL;
        char *copy = strdup(target), *save = NULL;
        int r = -ENOENT;

        if (!copy)
                return -ENOMEM;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                unsigned d, b, s, f;

                if (strlen(c) == 12 && pci_address_parse(c, &d, &b, &s, &f) == 0)
                        best = c;
        }
        if (best)
                r = machine_find_device(m, best, ret);
        free(copy);
        return r;
}

#define CONTROL_CHARACTERS "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15" \
        "\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"

/* A stable /dev/disk/by-id name: the model and serial one rather than EUI or WWN numbers. */
static int by_id(const struct strv *ids, const struct strv *targets, const char *name, char **ret)
{
        const char *found = NULL;
        char *copy;

        for (int pass = 0; pass < 2 && !found; pass++)
                for (size_t i = 0; i < ids->n && !found; i++) {
                        const char *id = ids->v[i], *target = targets->v[i];

                        /* A name a domain's XML cannot hold (control characters) is no name for libvirt. */
                        if (!target || strcmp(target, name) != 0 || strpbrk(id, CONTROL_CHARACTERS))
                                continue;
                        if (pass == 0 && (startswith(id, "nvme-eui.") || startswith(id, "wwn-") || strstr(id, "_1-") ||
                                          startswith(id, "nvme-nvme.")))
                                continue;
                        found = id;
                }
        copy = found ? strdup(found) : NULL;
        if (found && !copy)
                return -ENOMEM;
        if (copy)
                *ret = copy;
        return 0;
}

static int add_part(const struct scan *s, struct block_disk *d, const char *name, unsigned major, unsigned minor)
{
        struct block_part *grown = reallocarray(d->parts, d->n_parts + 1, sizeof(*d->parts)), *p;
        struct block_probe probe = { 0 };
        char node[96];
        int r;

        if (!grown)
                return -ENOMEM;
        d->parts = grown;
        p = &d->parts[d->n_parts];
        *p = (struct block_part){ .name = strdup(name), .major = major, .minor = minor };
        if (!p->name)
                return -ENOMEM;
        d->n_parts++;
        snprintf(node, sizeof(node), "/dev/%s", name);
        r = block_probe(s->sr, major, minor, node, &probe);
        if (r == -ENOMEM)
                return r;
        p->fs_type = probe.fs_type;
        p->label = probe.label;
        free(probe.part_type);
        return 0;
}

/* A disk: its size, model, stable name and partitions. */
static int add_disk(struct scan *s, struct node *n, size_t controller, const struct strv *ids, const struct strv *targets)
{
        struct block_disk *grown = reallocarray(s->m->disks, s->m->n_disks + 1, sizeof(*s->m->disks)), *d;
        unsigned long sectors;
        char rel[160];
        int r = 0;

        if (!grown)
                return -ENOMEM;
        s->m->disks = grown;
        d = &s->m->disks[s->m->n_disks];
        *d = (struct block_disk){ .name = strdup(n->name), .controller = controller };
        if (!d->name)
                return -ENOMEM;
        n->disk = (ssize_t)s->m->n_disks++;
        snprintf(rel, sizeof(rel), "sys/block/%s/size", n->name);
        if (sysroot_read_uint(s->sr, rel, &sectors) == 0)
                d->bytes = (unsigned long long)sectors * 512;
        snprintf(rel, sizeof(rel), "sys/block/%s/device/model", n->name);
        if (sysroot_read_line(s->sr, rel, &d->model) == -ENOMEM)
                return -ENOMEM;
        if (d->model && !*strip(d->model)) {
                free(d->model);
                d->model = NULL;
        } else if (d->model)
                memmove(d->model, strip(d->model), strlen(strip(d->model)) + 1);
        r = by_id(ids, targets, n->name, &d->by_id);
        for (size_t i = 0; i < n->part_names.n && r >= 0; i++) {
                unsigned major, minor;

                snprintf(rel, sizeof(rel), "sys/block/%s/%s/dev", n->name, n->part_names.v[i]);
                if (read_dev(s->sr, rel, &major, &minor) == 0)
                        r = add_part(s, d, n->part_names.v[i], major, minor);
        }
        if (r >= 0 && d->n_parts == 0)
                r = add_part(s, d, n->name, n->major, n->minor);
        return r;
}

static int read_node(struct scan *s, const char *name, struct node *n)
{
        struct strv entries = { 0 };
        char rel[160];
        int r;

        *n = (struct node){ .disk = -1, .name = strdup(name) };
        if (!n->name)
                return -ENOMEM;
        snprintf(rel, sizeof(rel), "sys/block/%s/dev", name);
        if (read_dev(s->sr, rel, &n->major, &n->minor) < 0)
                n->major = n->minor = 0;
        snprintf(rel, sizeof(rel), "sys/block/%s/slaves", name);
        r = sysroot_list(s->sr, rel, &n->slaves);
        if (r < 0 && r != -ENOMEM)
                r = 0;
        snprintf(rel, sizeof(rel), "sys/block/%s/dm/name", name);
        if (r >= 0 && sysroot_read_line(s->sr, rel, &n->dm_name) == -ENOMEM)
                r = -ENOMEM;
        snprintf(rel, sizeof(rel), "sys/block/%s", name);
        if (r >= 0 && sysroot_list(s->sr, rel, &entries) == -ENOMEM)
                r = -ENOMEM;
        for (size_t i = 0; i < entries.n && r >= 0; i++) {
                snprintf(rel, sizeof(rel), "sys/block/%s/%s/partition", name, entries.v[i]);
                if (startswith(entries.v[i], name) && sysroot_exists(s->sr, rel))
                        r = strv_push(&n->part_names, entries.v[i]);
        }
        strv_free(&entries);
        return r;
}

static void node_clear(struct node *n)
{
        free(n->name);
        free(n->dm_name);
        strv_free(&n->slaves);
        strv_free(&n->part_names);
}

/* The disk and partition a name (disk, partition, dm-N) stands for, through stacked devices. */
static int use(struct scan *s, const char *name, const char *what, int depth)
{
        int r = 0;

        if (depth > MAX_STACK)
                return 0;
        for (size_t i = 0; i < s->n_nodes && r >= 0; i++) {
                struct node *n = &s->nodes[i];
                bool whole = strcmp(n->name, name) == 0 || (n->dm_name && strcmp(n->dm_name, name) == 0);

                if (n->disk < 0) {
                        for (size_t k = 0; whole && k < n->slaves.n && r >= 0; k++)
                                r = use(s, n->slaves.v[k], what, depth + 1);
                        continue;
                }
                for (size_t k = 0; k < s->m->disks[n->disk].n_parts && r >= 0; k++) {
                        struct block_disk *d = &s->m->disks[n->disk];
                        struct block_part *p = &d->parts[k];

                        if (!whole && strcmp(p->name, name) != 0)
                                continue;
                        if (!strv_contains(&p->mounts, what))
                                r = strv_push(&p->mounts, what);
                        if (r >= 0 && !strv_contains(&d->mounts, what))
                                r = strv_push(&d->mounts, what);
                }
        }
        return r;
}

/* The sys/block name of a device number, for the mount table. */
static const char *name_of(const struct scan *s, unsigned major, unsigned minor)
{
        for (size_t i = 0; i < s->n_nodes; i++) {
                const struct node *n = &s->nodes[i];

                if (n->major == major && n->minor == minor && (major || minor))
                        return n->name;
                for (size_t k = 0; n->disk >= 0 && k < s->m->disks[n->disk].n_parts; k++) {
                        const struct block_part *p = &s->m->disks[n->disk].parts[k];

                        if (p->major == major && p->minor == minor)
                                return p->name;
                }
        }
        return NULL;
}

static int mounts(struct scan *s)
{
        char *text, *line, *save = NULL;
        int r;

        r = sysroot_read(s->sr, "proc/self/mountinfo", 0, &text, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        s->m->storage_known = true;
        /* A mounted block device (major 0 is no device) that sys/block does not show: whose disk it is, is unknown. */
        for (line = strtok_r(text, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                struct mount mt;
                const char *name;

                if (mount_parse(line, &mt) < 0)
                        continue;
                name = name_of(s, mt.major, mt.minor);
                if (name)
                        r = use(s, name, mt.point, 0);
                else if (mt.major != 0)
                        s->m->storage_known = false;
                mount_clear(&mt);
        }
        free(text);
        if (r < 0)
                return r;
        r = sysroot_read(s->sr, "proc/swaps", 0, &text, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        /* "Filename Type Size Used Priority", a header first. */
        save = NULL;
        for (line = strtok_r(text, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                char *space = strchr(line, ' '), *slash;

                if (space)
                        *space = '\0';
                slash = strrchr(line, '/');
                if (startswith(line, "/dev/") && slash)
                        r = use(s, slash + 1, "[swap]", 0);
        }
        free(text);
        return r;
}

/* dev/disk/by-id's names and the sys/block names they point to. */
static int read_ids(const struct sysroot *sr, struct strv *ids, struct strv *targets)
{
        int r;

        r = sysroot_list(sr, "dev/disk/by-id", ids);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < ids->n && r >= 0; i++) {
                char rel[512], *target = NULL;

                snprintf(rel, sizeof(rel), "dev/disk/by-id/%s", ids->v[i]);
                r = sysroot_readlink_base(sr, rel, &target);
                if (r == -ENOMEM)
                        return r;
                r = strv_consume(targets, target ? target : strdup(""));
        }
        return r;
}

static int cmp_disk(const void *a, const void *b)
{
        const struct block_disk *x = a, *y = b;

        if (x->controller != y->controller)
                return x->controller < y->controller ? -1 : 1;
        return strcmp(x->name, y->name);
}

int detect_storage(const struct sysroot *sr, struct machine *m)
{
        struct scan s = { .sr = sr, .m = m };
        struct strv names = { 0 }, ids = { 0 }, targets = { 0 };
        int r;

        r = sysroot_list(sr, "sys/block", &names);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        s.nodes = calloc(names.n ? names.n : 1, sizeof(*s.nodes));
        r = s.nodes ? read_ids(sr, &ids, &targets) : -ENOMEM;
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                char rel[160], *target = NULL;
                size_t controller;

                r = read_node(&s, names.v[i], &s.nodes[s.n_nodes++]);
                snprintf(rel, sizeof(rel), "sys/block/%s", names.v[i]);
                if (r >= 0 && (r = sysroot_readlink(sr, rel, &target)) == -ENOMEM)
                        break;
                r = 0;
                if (target && !strstr(target, "/virtual/") && controller_of(m, target, &controller) == 0)
                        r = add_disk(&s, &s.nodes[s.n_nodes - 1], controller, &ids, &targets);
                free(target);
        }
        if (r >= 0)
                r = mounts(&s);
        if (r >= 0)
                qsort(m->disks, m->n_disks, sizeof(*m->disks), cmp_disk);
        for (size_t i = 0; i < s.n_nodes; i++)
                node_clear(&s.nodes[i]);
        free(s.nodes);
        strv_free(&names);
        strv_free(&ids);
        strv_free(&targets);
        return r;
}
