/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/snapshot.h"
#include "vfio-setup/strbuf.h"
#include "vfio-setup/tar.h"

/* Never captured, whatever reads them: credentials and people's files. */
static const char *const private_prefixes[] = {
        "etc/shadow", "etc/gshadow", "etc/sudoers", "etc/ssh/", "etc/ssl/private", "root/", "home/",
        "var/lib/", "etc/NetworkManager/system-connections",
};

enum kind { ENTRY_DIR, ENTRY_LINK, ENTRY_FILE, ENTRY_PLACEHOLDER };

struct entry {
        char *path;
        enum kind kind;
        size_t limit;           /* for files: bytes to keep, 0 for all */
        char *target;           /* for links */
        mode_t mode;
};

struct capture {
        const struct sysroot *sr;
        struct entry *v;
        size_t n, cap;
        size_t refused;
        int err;
};

static bool private_path(const char *path)
{
        /* vfio-setup's own record of what it set up is no secret, and detection reads it. */
        if (strcmp(path, "var/lib/vfio-setup") == 0 || startswith(path, "var/lib/vfio-setup/"))
                return false;
        for (size_t i = 0; i < sizeof(private_prefixes) / sizeof(private_prefixes[0]); i++)
                if (startswith(path, private_prefixes[i]))
                        return true;
        return false;
}

static void add(struct capture *c, const char *path, enum kind kind, size_t limit, const char *target, mode_t mode)
{
        struct entry *e;

        if (c->err < 0)
                return;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 256;
                struct entry *v = realloc(c->v, cap * sizeof(*v));

                if (!v) {
                        c->err = -ENOMEM;
                        return;
                }
                c->v = v;
                c->cap = cap;
        }
        e = &c->v[c->n];
        *e = (struct entry){ .kind = kind, .limit = limit, .mode = mode };
        e->path = strdup(path);
        e->target = target ? strdup(target) : NULL;
        if (!e->path || (target && !e->target)) {
                free(e->path);
                free(e->target);
                c->err = -ENOMEM;
                return;
        }
        c->n++;
}

/* Joins a relative link target onto the link's directory, folding "." and "..". */
static char *resolve(const char *dir, const char *target)
{
        struct strv parts = { 0 };
        char *joined, *save = NULL, *out = NULL;

        if (asprintf(&joined, "%s/%s", target[0] == '/' ? "" : dir, target) < 0)
                return NULL;
        for (char *p = strtok_r(joined, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
                if (strcmp(p, ".") == 0)
                        continue;
                if (strcmp(p, "..") == 0) {
                        if (parts.n > 0)
                                free(parts.v[--parts.n]);
                        continue;
                }
                if (strv_push(&parts, p) < 0)
                        goto out;
        }
        out = strv_join(&parts, "/");
out:
        strv_free(&parts);
        free(joined);
        return out;
}

/*
 * Captures path as `use` says, following links in any component: each link
 * met on the way is captured as a link, and its target in its place, so the
 * unpacked tree resolves the same way the original does.
 */
static void capture_path(struct capture *c, const char *path, enum sysroot_use use, size_t limit, int depth)
{
        char *cur = strdup(""), *rest = strdup(path), *save = NULL;
        struct stat st;

        if (!cur || !rest) {
                free(cur);
                free(rest);
                c->err = -ENOMEM;
                return;
        }
        for (char *comp = strtok_r(rest, "/", &save); comp && c->err == 0; comp = strtok_r(NULL, "/", &save)) {
                char *p, *remaining = save && *save ? save : NULL;
                bool last = !remaining;

                if (asprintf(&p, "%s%s%s", cur, *cur ? "/" : "", comp) < 0) {
                        c->err = -ENOMEM;
                        break;
                }
                if (private_path(p)) {
                        c->refused++;
                        free(p);
                        break;
                }
                if (sysroot_stat(c->sr, p, true, &st) < 0) {
                        free(p);
                        break;
                }
                if (S_ISLNK(st.st_mode)) {
                        char *target = NULL, *dir = strdup(cur), *next = NULL;

                        if (dir && sysroot_readlink(c->sr, p, &target) == 0 && target) {
                                add(c, p, ENTRY_LINK, 0, target, 0777);
                                next = resolve(dir, target);
                        }
                        /* A link read for itself keeps its target as a bare existence (lspci wants drivers to resolve). */
                        if (next && depth < 40) {
                                char *follow;
                                if (asprintf(&follow, "%s%s%s", next, remaining ? "/" : "", remaining ? remaining : "") >= 0) {
                                        capture_path(c, follow, last && use == SYSROOT_USE_LINK ? SYSROOT_USE_STAT : use,
                                                     limit, depth + 1);
                                        free(follow);
                                } else
                                        c->err = -ENOMEM;
                        }
                        free(target);
                        free(dir);
                        free(next);
                        free(p);
                        break;
                }
                if (S_ISDIR(st.st_mode))
                        add(c, p, ENTRY_DIR, 0, NULL, st.st_mode);
                else if (last && (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && strcmp(p, SYSROOT_KMSG) == 0)))
                        add(c, p, use == SYSROOT_USE_READ ? ENTRY_FILE : ENTRY_PLACEHOLDER, limit, NULL,
                            (st.st_mode & 07777) | S_IFREG);
                if (last && use == SYSROOT_USE_LIST && S_ISDIR(st.st_mode)) {
                        struct strv names = { 0 };

                        if (sysroot_list(c->sr, p, &names) == 0)
                                for (size_t i = 0; i < names.n && c->err == 0; i++) {
                                        char *child;
                                        if (asprintf(&child, "%s/%s", p, names.v[i]) < 0) {
                                                c->err = -ENOMEM;
                                                break;
                                        }
                                        capture_path(c, child, SYSROOT_USE_STAT, 0, depth + 1);
                                        free(child);
                                }
                        strv_free(&names);
                }
                free(cur);
                cur = p;
        }
        free(cur);
        free(rest);
}

static int cmp_entry(const void *a, const void *b)
{
        const struct entry *x = a, *y = b;
        int c = strcmp(x->path, y->path);

        /* For one path, the richest capture sorts first and wins. */
        return c ? c : (int)x->kind - (int)y->kind;
}

static void entry_free(struct entry *e)
{
        free(e->path);
        free(e->target);
}

/* Sorted by path, one entry a path; file content wins over a placeholder. */
static void dedupe(struct capture *c)
{
        size_t w = 0;

        if (c->n > 1)
                qsort(c->v, c->n, sizeof(*c->v), cmp_entry);
        for (size_t i = 0; i < c->n; i++) {
                if (w > 0 && strcmp(c->v[w - 1].path, c->v[i].path) == 0) {
                        struct entry *keep = &c->v[w - 1];

                        if (keep->kind == ENTRY_FILE && c->v[i].kind == ENTRY_FILE &&
                            (keep->limit && (c->v[i].limit == 0 || c->v[i].limit > keep->limit)))
                                keep->limit = c->v[i].limit;
                        entry_free(&c->v[i]);
                        continue;
                }
                c->v[w++] = c->v[i];
        }
        c->n = w;
}

/* udev's record of the ESP, written from what probing found, so the copy confirms the ESP the same way. */
static int udev_record(const struct machine *m, char **ret_path, char **ret_text)
{
        if (!m->esp.fs_type || !m->esp.part_type)
                return 0;
        if (asprintf(ret_path, "run/udev/data/b%u:%u", m->esp.major, m->esp.minor) < 0)
                return -ENOMEM;
        if (asprintf(ret_text, "E:ID_FS_TYPE=%s\nE:ID_PART_ENTRY_TYPE=%s\n", m->esp.fs_type, m->esp.part_type) < 0) {
                free(*ret_path);
                *ret_path = NULL;
                return -ENOMEM;
        }
        return 1;
}

/* The kernel's log as records of its own device, one a line, whichever the tree holds. */
static int kernel_log(const struct sysroot *sr, size_t limit, char **ret, size_t *ret_len)
{
        struct strbuf b = { 0 };
        char *log = NULL, *save = NULL;
        int r;

        r = sysroot_read_kernel_log(sr, limit ? limit : SYSROOT_READ_MAX, &log);
        if (r == -ENOMEM)
                return r;
        for (char *line = r >= 0 ? strtok_r(log, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
                strbuf_printf(&b, "6,0,0,-;%s\n", line);
        free(log);
        strbuf_printf(&b, "%s", "");
        r = strbuf_finish(&b, ret);
        if (r >= 0)
                *ret_len = strlen(*ret);
        return r;
}

static int write_entries(struct capture *c, struct tar *t, const char *top, struct snapshot_stats *st,
                         const char *udev_path, const char *udev_text)
{
        bool udev_done = !udev_path;
        int r = tar_add_dir(t, top, 0755);

        for (size_t i = 0; i < c->n && r == 0; i++) {
                struct entry *e = &c->v[i];
                char *name, *data = NULL;
                size_t len = 0;

                if (asprintf(&name, "%s/%s", top, e->path) < 0)
                        return -ENOMEM;
                switch (e->kind) {
                case ENTRY_DIR:
                        r = tar_add_dir(t, name, (e->mode & 07777) | 0700);
                        st->dirs++;
                        break;
                case ENTRY_LINK:
                        r = tar_add_symlink(t, name, e->target);
                        st->links++;
                        break;
                case ENTRY_FILE:
                        if (strcmp(e->path, SYSROOT_KMSG) == 0)
                                r = kernel_log(c->sr, e->limit, &data, &len);
                        else if (sysroot_read(c->sr, e->path, e->limit, &data, &len) < 0)
                                len = 0;
                        if (r < 0)
                                break;
                        r = tar_add_file(t, name, (e->mode & 0777) | 0600, data ? data : "", len);
                        st->files++;
                        st->bytes += len;
                        free(data);
                        break;
                case ENTRY_PLACEHOLDER:
                        r = tar_add_file(t, name, (e->mode & 0777) | 0600, "", 0);
                        st->placeholders++;
                        break;
                }
                if (r == 0)
                        r = strv_push(&st->paths, e->path);
                udev_done |= strcmp(e->path, udev_path ? udev_path : "") == 0;
                free(name);
        }
        if (r == 0 && !udev_done) {
                char *name;

                if (asprintf(&name, "%s/%s", top, udev_path) < 0)
                        return -ENOMEM;
                r = tar_add_file(t, name, 0644, udev_text, strlen(udev_text));
                free(name);
                if (r == 0 && (r = strv_push(&st->paths, udev_path)) == 0)
                        st->files++;
        }
        return r;
}

int snapshot_write(struct sysroot *sr, const char *output, const char *top, struct snapshot_stats *ret)
{
        struct snapshot_stats st = { 0 };
        struct capture c = { .sr = sr };
        const struct sysroot_access *acc;
        struct machine *m = NULL;
        char *tmp = NULL, *udev_path = NULL, *udev_text = NULL;
        struct tar *t = NULL;
        size_t n;
        int r;

        sysroot_record(sr, true);
        r = detect_machine(sr, &m);
        sysroot_record(sr, false);
        if (r < 0)
                return r;
        r = udev_record(m, &udev_path, &udev_text);
        machine_free(m);
        if (r < 0)
                return r;

        acc = sysroot_accesses(sr, &n);
        for (size_t i = 0; i < n && c.err == 0; i++)
                capture_path(&c, acc[i].path, acc[i].use, acc[i].limit, 0);
        r = c.err;
        if (r == 0) {
                dedupe(&c);
                if (asprintf(&tmp, "%s.tmp-XXXXXX", output) < 0)
                        r = -ENOMEM;
        }
        if (r == 0) {
                int fd = mkstemp(tmp);
                mode_t mask = umask(0);

                /* mkstemp makes 0600; an archive is meant to be passed on, like any file the user creates. */
                umask(mask);
                if (fd < 0)
                        r = -errno;
                else {
                        if (fchmod(fd, 0666 & ~mask) < 0)
                                r = -errno;
                        close(fd);
                }
        }
        if (r == 0)
                r = tar_open(tmp, &t);
        if (r == 0) {
                r = write_entries(&c, t, top, &st, udev_path, udev_text);
                if (r == 0)
                        r = tar_close(t);
                else
                        tar_abort(t);
        }
        if (r == 0 && rename(tmp, output) < 0)
                r = -errno;
        if (r < 0 && tmp)
                unlink(tmp);
        free(tmp);
        free(udev_path);
        free(udev_text);
        for (size_t i = 0; i < c.n; i++)
                entry_free(&c.v[i]);
        free(c.v);
        if (r < 0) {
                snapshot_stats_free(&st);
                return r;
        }
        st.refused = c.refused;
        *ret = st;
        return 0;
}

void snapshot_stats_free(struct snapshot_stats *s)
{
        strv_free(&s->paths);
}
