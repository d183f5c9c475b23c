/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pci_names.h"
#include "vfio-setup/strv.h"

/* Today's pci.ids is 1.4 MB; a database is never read past this, compressed or not. */
#define DATABASE_MAX (64u << 20)
/* libpci refuses a longer line (and then every name); here such a line alone is passed over. */
#define LINE_LEN 1024

/* The ids the devices have, sorted, and the name the database gives each. */
struct wanted {
        uint32_t *ids;
        char **names;
        size_t n, cap;
};

enum { VENDORS, DEVICES, SUBCLASSES, CLASSES, _WANTED_MAX };

struct names {
        struct wanted w[_WANTED_MAX];
        /* The block the line is in: a vendor's devices, a class's subclasses, or lines passed over. */
        enum { BLOCK_NONE, BLOCK_VENDOR, BLOCK_CLASS } block;
        uint32_t top;
};

static int cmp_id(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return x < y ? -1 : x > y;
}

static int wanted_add(struct wanted *w, uint32_t id)
{
        if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 64;
                uint32_t *v = reallocarray(w->ids, cap, sizeof(*v));

                if (!v)
                        return -ENOMEM;
                w->ids = v;
                w->cap = cap;
        }
        w->ids[w->n++] = id;
        return 0;
}

static int wanted_seal(struct wanted *w)
{
        size_t k = 0;

        if (w->n)
                qsort(w->ids, w->n, sizeof(*w->ids), cmp_id);
        for (size_t i = 0; i < w->n; i++)
                if (k == 0 || w->ids[k - 1] != w->ids[i])
                        w->ids[k++] = w->ids[i];
        w->n = k;
        w->names = calloc(k ? k : 1, sizeof(*w->names));
        return w->names ? 0 : -ENOMEM;
}

static char **wanted_slot(const struct wanted *w, uint32_t id)
{
        const uint32_t *hit = w->n ? bsearch(&id, w->ids, w->n, sizeof(*w->ids), cmp_id) : NULL;

        return hit ? &w->names[hit - w->ids] : NULL;
}

static void wanted_free(struct wanted *w)
{
        for (size_t i = 0; w->names && i < w->n; i++)
                free(w->names[i]);
        free(w->names);
        free(w->ids);
}

static bool white(char c)
{
        return c == ' ' || c == '\t';
}

/* An id of digits hex digits, white space, and a name: the name, or NULL. */
static const char *entry(const char *p, int digits, uint32_t *ret_id)
{
        unsigned id;

        if (!hex_n(p, (size_t)digits, &id) || !white(p[digits]))
                return NULL;
        p += digits;
        while (white(*p))
                p++;
        if (!*p)
                return NULL;
        *ret_id = (uint32_t)id;
        return p;
}

/* The first name of an id is the one kept, as libpci keeps it. */
static int keep(const struct wanted *w, uint32_t id, const char *name)
{
        char **slot = wanted_slot(w, id);

        if (!slot || *slot)
                return 0;
        *slot = strdup(name);
        return *slot ? 0 : -ENOMEM;
}

/* One line without its end, in the grammar libpci reads. */
static int line(struct names *x, char *s)
{
        size_t len = strcspn(s, "\r");
        const char *name;
        uint32_t id;
        int nest = 0;

        s[len] = '\0';
        if (len > 0 && white(s[len - 1]))
                s[--len] = '\0';
        name = s + strspn(s, " \t");
        if (!*name || *name == '#')
                return 0;
        while (s[nest] == '\t')
                nest++;
        if (nest == 0) {
                x->block = BLOCK_NONE;
                if (s[0] == 'C' && s[1] == ' ') {
                        if (!(name = entry(s + 2, 2, &id)))
                                return 0;
                        x->block = BLOCK_CLASS;
                        x->top = id;
                        return keep(&x->w[CLASSES], id, name);
                }
                /* Generic subsystems ("S") and blocks not known yet: passed over with their lines. */
                if (s[0] >= 'A' && s[0] <= 'Z' && s[1] == ' ')
                        return 0;
                if (!(name = entry(s, 4, &id)))
                        return 0;
                /* A vendor none of the devices has: its devices are passed over unread. */
                if (!wanted_slot(&x->w[VENDORS], id))
                        return 0;
                x->block = BLOCK_VENDOR;
                x->top = id;
                return keep(&x->w[VENDORS], id, name);
        }
        if (nest != 1)
                return 0;
        if (x->block == BLOCK_VENDOR && (name = entry(s + 1, 4, &id)))
                return keep(&x->w[DEVICES], x->top << 16 | id, name);
        if (x->block == BLOCK_CLASS && (name = entry(s + 1, 2, &id)))
                return keep(&x->w[SUBCLASSES], x->top << 8 | id, name);
        return 0;
}

/* The database's lines, each whole; a line longer than LINE_LEN is passed over. */
static int read_database(struct names *x, gzFile f)
{
        enum { SIZE = 65536 };
        char *buf = malloc(SIZE + 1);
        size_t have = 0, total = 0;
        bool skipping = false;
        int r = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                int n = gzread(f, buf + have, (unsigned)(SIZE - have));
                char *p = buf, *nl;

                if (n < 0) {
                        free(buf);
                        return -EIO;
                }
                total += (size_t)n;
                have += (size_t)n;
                buf[have] = '\0';
                while (r >= 0 && (nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
                        *nl = '\0';
                        if (!skipping && nl - p <= LINE_LEN)
                                r = line(x, p);
                        skipping = false;
                        p = nl + 1;
                }
                have -= (size_t)(p - buf);
                if (r < 0 || n == 0 || total > DATABASE_MAX) {
                        memmove(buf, p, have);
                        buf[have] = '\0';
                        if (r >= 0 && have && !skipping && have <= LINE_LEN)
                                r = line(x, buf);
                        free(buf);
                        return r;
                }
                if (have > LINE_LEN) {
                        skipping = true;
                        have = 0;
                }
                memmove(buf, p, have);
        }
}

static gzFile open_database(const char *path)
{
        struct stat st;
        gzFile f;
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = gzdopen(fd, "rb"))) {
                close(fd);
                return NULL;
        }
        return f;
}

static const char *name_of(const struct wanted *w, uint32_t id)
{
        char **slot = wanted_slot(w, id);

        return slot ? *slot : NULL;
}

/* A name for each device from what was found; a class alone is named with its number, as libpci names it. */
static int name_devices(const struct names *x, struct pci_device *devices, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                struct pci_device *d = &devices[i];
                const char *sub, *cls, *vendor, *device;

                if (d->class_known) {
                        sub = name_of(&x->w[SUBCLASSES], d->class_id);
                        cls = name_of(&x->w[CLASSES], d->class_id >> 8);
                        if (sub)
                                d->class_name = strdup(sub);
                        else if (cls && asprintf(&d->class_name, "%s [%04x]", cls, d->class_id) < 0)
                                d->class_name = NULL;
                        if ((sub || cls) && !d->class_name)
                                return -ENOMEM;
                }
                if (!d->ids_known)
                        continue;
                vendor = name_of(&x->w[VENDORS], d->vendor_id);
                device = name_of(&x->w[DEVICES], (uint32_t)d->vendor_id << 16 | d->device_id);
                if ((vendor && !(d->vendor_name = strdup(vendor))) || (device && !(d->device_name = strdup(device))))
                        return -ENOMEM;
        }
        return 0;
}

int pci_names_fill(const char *database, struct pci_device *devices, size_t n)
{
        struct names x = { 0 };
        gzFile f;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct pci_device *d = &devices[i];

                if (d->class_known &&
                    (wanted_add(&x.w[SUBCLASSES], d->class_id) < 0 || wanted_add(&x.w[CLASSES], d->class_id >> 8u) < 0))
                        r = -ENOMEM;
                if (r >= 0 && d->ids_known &&
                    (wanted_add(&x.w[VENDORS], d->vendor_id) < 0 ||
                     wanted_add(&x.w[DEVICES], (uint32_t)d->vendor_id << 16 | d->device_id) < 0))
                        r = -ENOMEM;
        }
        for (int k = 0; r >= 0 && k < _WANTED_MAX; k++)
                r = wanted_seal(&x.w[k]);
        if (r >= 0 && (f = open_database(database))) {
                r = read_database(&x, f);
                gzclose(f);
                /* A database cut short names what it had before the cut. */
                if (r == -EIO)
                        r = 0;
                if (r >= 0)
                        r = name_devices(&x, devices, n);
        }
        for (int k = 0; k < _WANTED_MAX; k++)
                wanted_free(&x.w[k]);
        return r;
}

int pci_names_database(char **ret)
{
        struct pci_access *acc = pci_alloc();
        const char *path = acc->id_file_name;
        size_t len = strlen(path);
        char *copy;

        /* libpci tries the compressed file first, then the same name without ".gz". */
        if (len > 3 && strcmp(path + len - 3, ".gz") == 0 && access(path, F_OK) < 0)
                copy = strndup(path, len - 3);
        else
                copy = strdup(path);
        pci_cleanup(acc);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}
