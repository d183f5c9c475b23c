/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/runner.h"
#include "vfio-setup/strv.h"
#include "vfio-setup/trust.h"

/* Besides RUN_PATH: what the programs load, and what the generators source or run. */
static const char *const reached[] = {
        /* the libraries, the interpreters' modules, the dynamic loader's configuration */
        "lib", "lib32", "lib64", "libx32", "usr/lib", "usr/lib32", "usr/lib64", "usr/libx32", "usr/libexec",
        "usr/local/lib", "usr/local/libexec", "usr/share/perl", "usr/share/perl5",
        "etc/ld.so.preload", "etc/ld.so.conf", "etc/ld.so.conf.d", "etc/ld.so.cache", "etc/alternatives",
        /* GRUB's generators and grubby */
        "etc/default/grub", "etc/default/grub.d", "etc/grub.d", "usr/share/grub", "etc/sysconfig/kernel",
        /* initramfs-tools */
        "etc/initramfs-tools", "etc/initramfs", "usr/share/initramfs-tools",
        /* mkinitcpio */
        "etc/mkinitcpio.conf", "etc/mkinitcpio.conf.d", "etc/mkinitcpio.d", "etc/initcpio",
        /* dracut */
        "etc/dracut.conf", "etc/dracut.conf.d",
        /* booster, kernelstub, sdbootutil, rpm-ostree, proxmox-boot-tool */
        "etc/booster.yaml", "etc/kernelstub", "etc/sysconfig/bootloader", "etc/rpm-ostreed.conf",
        "usr/share/proxmox-kernel-helper",
        /* kernel-install, and the kernel hooks generators run */
        "etc/kernel",
        /* what an initramfs carries to run at boot (modprobe's install lines), and systemd-tmpfiles */
        "etc/modprobe.d", "etc/tmpfiles.d",
};

/* Deeper than any system nests its files; link chains longer than the kernel follows. */
#define MAX_DEPTH 64
#define MAX_LINKS 40

struct walk {
        const struct sysroot *sr;
        struct strv covered;            /* walked whole: RUN_PATH's directories, reached, link targets */
        size_t entries;
        struct tree_finding *found;
};

static int doubt(struct walk *w, const char *host_path, enum tree_doubt d, uid_t uid, int err)
{
        char *p = strdup(host_path);

        if (!p)
                return -ENOMEM;
        *w->found = (struct tree_finding){ .path = p, .doubt = d, .uid = uid, .err = err };
        return -VS_E_UNTRUSTED;
}

static int doubt_in(struct walk *w, const char *rel, enum tree_doubt d, uid_t uid, int err)
{
        const char *dir = sysroot_dir(w->sr);
        char *p;
        int r;

        if (asprintf(&p, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", strcmp(rel, ".") == 0 ? "" : rel) < 0)
                return -ENOMEM;
        r = doubt(w, p, d, uid, err);
        free(p);
        return r;
}

static int judge(struct walk *w, const char *rel, const struct stat *st)
{
        if (++w->entries > TREE_CHECK_MAX)
                return doubt_in(w, rel, TREE_TOO_LARGE, 0, 0);
        /* /dev/null, zero and full, which masked units and the like link to: anyone writes them, nothing is kept. */
        if (S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 &&
            (minor(st->st_rdev) == 3 || minor(st->st_rdev) == 5 || minor(st->st_rdev) == 7))
                return 0;
        if (st->st_uid != 0)
                return doubt_in(w, rel, TREE_NOT_ROOTS, st->st_uid, 0);
        if (st->st_mode & 022)
                return doubt_in(w, rel, TREE_WRITABLE, 0, 0);
        return 0;
}

/* Whether rel is below (or is) what is walked whole anyway. */
static bool covered(const struct walk *w, const char *rel)
{
        for (size_t i = 0; i < w->covered.n; i++) {
                size_t n = strlen(w->covered.v[i]);

                if (strncmp(rel, w->covered.v[i], n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
                        return true;
        }
        return false;
}

static int check_path(struct walk *w, const char *rel, bool whole, int hops);

/*
 * Where a link leads, with the directories on the way, is checked (all below it
 * too when whole) unless a walk covers it already.
 */
static int follow(struct walk *w, const char *rel, const char *rest, bool whole, int hops)
{
        char *target, *joined = NULL;
        int r;

        if (hops > MAX_LINKS)
                return doubt_in(w, rel, TREE_TOO_LARGE, 0, 0);
        r = sysroot_resolve(w->sr, rel, &target);
        /* Leading nowhere, it runs nothing. */
        if (r == -ENOENT || r == -ELOOP || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r == -ENOMEM ? r : doubt_in(w, rel, TREE_UNREADABLE, 0, r);
        /*
         * A link to the root only names again what programs reach by the paths
         * checked here; walking the whole root would take in proc and sys.
         */
        if (rest && asprintf(&joined, "%s/%s", strcmp(target, ".") == 0 ? "" : target, rest) < 0)
                r = -ENOMEM;
        else if (!rest && (covered(w, target) || strcmp(target, ".") == 0))
                r = 0;
        else if (!rest && whole && (r = strv_push(&w->covered, target)) < 0)
                ;
        else
                r = check_path(w, joined ? joined : target, whole, hops + 1);
        free(joined);
        free(target);
        return r;
}

static int walk_dir(struct walk *w, int parent, const char *name, char *rel, size_t len, int depth)
{
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        if (depth > MAX_DEPTH)
                return doubt_in(w, rel, TREE_TOO_LARGE, 0, 0);
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return doubt_in(w, rel, TREE_UNREADABLE, 0, -errno);
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        while (r >= 0 && (errno = 0, de = readdir(d))) {
                size_t n = strlen(de->d_name);
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (len + 1 + n >= PATH_MAX) {
                        r = doubt_in(w, rel, TREE_TOO_LARGE, 0, 0);
                        break;
                }
                rel[len] = '/';
                memcpy(rel + len + 1, de->d_name, n + 1);
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        r = errno == ENOENT ? 0 : doubt_in(w, rel, TREE_UNREADABLE, 0, -errno);
                else if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t k = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);

                        if (k > 0)
                                target[k] = '\0';
                        /* A link to a neighbour (libfoo.so -> libfoo.so.1) leads where this walk goes anyway. */
                        if (k <= 0 || strchr(target, '/') || strcmp(target, "..") == 0 || strcmp(target, ".") == 0)
                                r = follow(w, rel, NULL, true, 0);
                } else if ((r = judge(w, rel, &st)) >= 0 && S_ISDIR(st.st_mode))
                        r = walk_dir(w, dirfd(d), de->d_name, rel, len + 1 + n, depth + 1);
                rel[len] = '\0';
        }
        if (r >= 0 && errno)
                r = doubt_in(w, rel, TREE_UNREADABLE, 0, -errno);
        closedir(d);
        return r;
}

/*
 * Checks the root, each directory from it to rel, and rel itself (all below it
 * when whole), one component at a time; a link on the way goes to follow().
 */
static int check_path(struct walk *w, const char *rel, bool whole, int hops)
{
        char path[PATH_MAX] = "";
        struct stat st;
        size_t len = 0;
        int fd, r;

        if (strlen(rel) >= sizeof(path))
                return doubt_in(w, rel, TREE_TOO_LARGE, 0, 0);
        r = sysroot_open(w->sr, ".", O_PATH | O_DIRECTORY, &fd);
        if (r < 0)
                return doubt_in(w, ".", TREE_UNREADABLE, 0, r);
        r = fstat(fd, &st) < 0 ? doubt_in(w, ".", TREE_UNREADABLE, 0, -errno) : judge(w, ".", &st);
        for (const char *c = rel; r >= 0 && *c;) {
                size_t n = strcspn(c, "/");
                bool last = c[n] == '\0';
                int next;

                if (n == 0) {
                        c++;
                        continue;
                }
                if (len)
                        path[len++] = '/';
                memcpy(path + len, c, n);
                len += n;
                path[len] = '\0';
                if (fstatat(fd, path + len - n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        /* Not there: nothing runs from it. */
                        if (errno != ENOENT && errno != ENOTDIR)
                                r = doubt_in(w, path, TREE_UNREADABLE, 0, -errno);
                        break;
                }
                if (S_ISLNK(st.st_mode)) {
                        r = follow(w, path, last ? NULL : c + n + 1, whole, hops);
                        break;
                }
                r = judge(w, path, &st);
                if (r < 0 || !S_ISDIR(st.st_mode))
                        break;
                if (last) {
                        if (whole)
                                r = walk_dir(w, fd, path + len - n, path, len, 0);
                        break;
                }
                next = openat(fd, path + len - n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        r = doubt_in(w, path, TREE_UNREADABLE, 0, -errno);
                        break;
                }
                close(fd);
                fd = next;
                c += n + 1;
        }
        close(fd);
        return r;
}

/* From the host's / to the tree's root: each root's; above the root, a sticky directory may be anyone's to write. */
static int check_above(struct walk *w)
{
        const char *dir = sysroot_dir(w->sr);
        char path[PATH_MAX] = "";
        int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), r = 0;
        size_t len = 0;

        if (fd < 0)
                return doubt(w, "/", TREE_UNREADABLE, 0, -errno);
        for (const char *c = dir; r >= 0;) {
                struct stat st;
                size_t n;
                int next;

                if (fstat(fd, &st) < 0) {
                        r = doubt(w, len ? path : "/", TREE_UNREADABLE, 0, -errno);
                        break;
                }
                if (st.st_uid != 0)
                        r = doubt(w, len ? path : "/", TREE_NOT_ROOTS, st.st_uid, 0);
                else if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX && *c))
                        r = doubt(w, len ? path : "/", TREE_WRITABLE, 0, 0);
                while (*c == '/')
                        c++;
                if (r < 0 || !*c)
                        break;
                n = strcspn(c, "/");
                if (len + 1 + n >= sizeof(path)) {
                        r = doubt(w, dir, TREE_TOO_LARGE, 0, 0);
                        break;
                }
                path[len++] = '/';
                memcpy(path + len, c, n);
                len += n;
                path[len] = '\0';
                next = openat(fd, path + len - n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        r = doubt(w, path, TREE_UNREADABLE, 0, -errno);
                        break;
                }
                close(fd);
                fd = next;
                c += n;
        }
        close(fd);
        return r;
}

int tree_check(const struct sysroot *sr, struct tree_finding *ret, size_t *entries)
{
        struct tree_finding found = { 0 };
        struct walk w = { .sr = sr, .found = &found };
        const char *p = RUN_PATH;
        size_t n;
        int r = 0;

        /* All that is walked whole is known first: a link into any of it needs no walk of its own. */
        while (r >= 0 && *p) {
                size_t k = strcspn(p, ":");

                r = strv_pushf(&w.covered, "%.*s", (int)k - 1, p + 1);
                p += k + (p[k] == ':');
        }
        for (size_t i = 0; r >= 0 && i < sizeof(reached) / sizeof(reached[0]); i++)
                r = strv_push(&w.covered, reached[i]);
        n = w.covered.n;
        if (r >= 0)
                r = check_above(&w);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = check_path(&w, w.covered.v[i], true, 0);
        strv_free(&w.covered);
        if (entries)
                *entries = w.entries;
        if (r == -VS_E_UNTRUSTED)
                *ret = found;
        return r;
}

void tree_finding_free(struct tree_finding *f)
{
        free(f->path);
        f->path = NULL;
}
