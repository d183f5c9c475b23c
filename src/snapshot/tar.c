/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/tar.h"

#define BLOCK 512

struct tar {
        gzFile gz;
        long mtime;
        int err;
};

/* POSIX ustar header layout. */
struct header {
        char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8], typeflag;
        char linkname[100], magic[6], version[2], uname[32], gname[32], devmajor[8], devminor[8];
        char prefix[155], pad[12];
};

_Static_assert(sizeof(struct header) == BLOCK, "ustar header is one block");

int tar_open(const char *path, struct tar **ret)
{
        struct tar *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->gz = gzopen(path, "wbe9");
        if (!t->gz) {
                int r = errno ? -errno : -VS_E_ARCHIVE;
                free(t);
                return r;
        }
        t->mtime = (long)time(NULL);
        *ret = t;
        return 0;
}

static void put(struct tar *t, const void *data, size_t len)
{
        if (t->err == 0 && len > 0 && gzwrite(t->gz, data, (unsigned)len) != (int)len)
                t->err = -VS_E_ARCHIVE;
}

static void pad(struct tar *t, size_t len)
{
        static const char zeros[BLOCK];

        if (len % BLOCK)
                put(t, zeros, BLOCK - len % BLOCK);
}

static void header(struct tar *t, const char *name, char type, mode_t mode, size_t size, const char *link)
{
        struct header h;
        unsigned sum = 0;

        memset(&h, 0, sizeof(h));
        snprintf(h.name, sizeof(h.name), "%s", name);
        snprintf(h.mode, sizeof(h.mode), "%07o", (unsigned)(mode & 07777));
        snprintf(h.uid, sizeof(h.uid), "%07o", 0);
        snprintf(h.gid, sizeof(h.gid), "%07o", 0);
        snprintf(h.size, sizeof(h.size), "%011zo", size);
        snprintf(h.mtime, sizeof(h.mtime), "%011lo", (unsigned long)t->mtime);
        h.typeflag = type;
        if (link)
                snprintf(h.linkname, sizeof(h.linkname), "%s", link);
        memcpy(h.magic, "ustar", 6);
        memcpy(h.version, "00", 2);
        snprintf(h.uname, sizeof(h.uname), "root");
        snprintf(h.gname, sizeof(h.gname), "root");
        memset(h.chksum, ' ', sizeof(h.chksum));
        for (size_t i = 0; i < sizeof(h); i++)
                sum += ((unsigned char *)&h)[i];
        snprintf(h.chksum, sizeof(h.chksum), "%06o", sum);
        put(t, &h, sizeof(h));
}

/* A pax record is "LEN key=value\n", LEN counting itself. */
static int pax_record(char **buf, size_t *len, const char *key, const char *value)
{
        size_t body = strlen(key) + strlen(value) + 3, n = body + 1;
        char *rec, *nb;

        while (snprintf(NULL, 0, "%zu", n) + body != n)
                n++;
        if (asprintf(&rec, "%zu %s=%s\n", n, key, value) < 0)
                return -ENOMEM;
        nb = realloc(*buf, *len + n);
        if (!nb) {
                free(rec);
                return -ENOMEM;
        }
        memcpy(nb + *len, rec, n);
        *buf = nb;
        *len += n;
        free(rec);
        return 0;
}

static int entry(struct tar *t, const char *name, char type, mode_t mode, const void *data, size_t size, const char *link)
{
        char *pax = NULL;
        size_t pax_len = 0;
        int r = 0;

        if (strlen(name) >= 100)
                r = pax_record(&pax, &pax_len, "path", name);
        if (r == 0 && link && strlen(link) >= 100)
                r = pax_record(&pax, &pax_len, "linkpath", link);
        if (r < 0) {
                free(pax);
                return r;
        }
        if (pax) {
                header(t, "././@PaxHeader", 'x', 0644, pax_len, NULL);
                put(t, pax, pax_len);
                pad(t, pax_len);
                free(pax);
        }
        header(t, name, type, mode, size, link);
        put(t, data, size);
        pad(t, size);
        return t->err;
}

int tar_add_dir(struct tar *t, const char *name, mode_t mode)
{
        char *slashed;
        int r;

        if (asprintf(&slashed, "%s/", name) < 0)
                return -ENOMEM;
        r = entry(t, slashed, '5', mode, NULL, 0, NULL);
        free(slashed);
        return r;
}

int tar_add_file(struct tar *t, const char *name, mode_t mode, const void *data, size_t len)
{
        return entry(t, name, '0', mode, data, len, NULL);
}

int tar_add_symlink(struct tar *t, const char *name, const char *target)
{
        return entry(t, name, '2', 0777, NULL, 0, target);
}

int tar_close(struct tar *t)
{
        static const char zeros[2 * BLOCK];
        int r;

        put(t, zeros, sizeof(zeros));
        r = t->err;
        if (gzclose(t->gz) != Z_OK && r == 0)
                r = -VS_E_ARCHIVE;
        free(t);
        return r;
}

void tar_abort(struct tar *t)
{
        gzclose(t->gz);
        free(t);
}
