/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio-setup/atomic.h"

static const char *base_of(const char *rel)
{
        const char *slash = strrchr(rel, '/');

        return slash ? slash + 1 : rel;
}

static char *dir_of(const char *rel)
{
        const char *slash = strrchr(rel, '/');

        return slash ? strndup(rel, (size_t)(slash - rel)) : strdup(".");
}

/* Opens rel's directory, making it and its parents as needed. */
static int open_dir(const struct sysroot *sr, const char *dir, struct strv *created, int *ret_fd)
{
        char *copy;
        int r = sysroot_open(sr, dir, O_RDONLY | O_DIRECTORY, ret_fd), parent;

        if (r != -ENOENT)
                return r;
        copy = strdup(dir);
        if (!copy)
                return -ENOMEM;
        {
                char *parent_path = dir_of(copy);

                r = parent_path ? open_dir(sr, parent_path, created, &parent) : -ENOMEM;
                free(parent_path);
        }
        if (r >= 0) {
                if (mkdirat(parent, base_of(copy), 0755) == 0)
                        r = created ? strv_push(created, copy) : 0;
                else if (errno != EEXIST)
                        r = -errno;
                if (r >= 0 && fsync(parent) < 0)
                        r = -errno;
                if (r >= 0)
                        r = sysroot_open(sr, dir, O_RDONLY | O_DIRECTORY, ret_fd);
                close(parent);
        }
        free(copy);
        return r;
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int atomic_write(const struct sysroot *sr, const char *rel, const void *data, size_t len, mode_t mode, uid_t uid,
                 gid_t gid, struct strv *created_dirs)
{
        char *dir = dir_of(rel), tmp[64];
        const char *base = base_of(rel);
        struct stat st;
        uint64_t rnd = 0;
        int dfd, fd, r;

        if (!dir)
                return -ENOMEM;
        r = open_dir(sr, dir, created_dirs, &dfd);
        free(dir);
        if (r < 0)
                return r;
        if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                close(dfd);
                return -ELOOP;
        }
        (void)!getrandom(&rnd, sizeof(rnd), 0);
        snprintf(tmp, sizeof(tmp), ".#vfio-setup.%016llx", (unsigned long long)rnd);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                close(dfd);
                return r;
        }
        r = write_all(fd, data, len);
        /* Owner first: chown clears set-id bits that fchmod then puts back. */
        if (r >= 0 && (geteuid() == 0 && fchown(fd, uid, gid) < 0))
                r = -errno;
        if (r >= 0 && fchmod(fd, mode & 07777) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        if (r >= 0 && renameat(dfd, tmp, dfd, base) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dfd, tmp, 0);
        else if (fsync(dfd) < 0)
                r = -errno;
        close(dfd);
        return r;
}

/* unlinkat in rel's directory, and an fsync of it so that the removal survives a crash. */
static int unlink_in_root(const struct sysroot *sr, const char *rel, int flags)
{
        char *dir = dir_of(rel);
        int dfd, r;

        if (!dir)
                return -ENOMEM;
        r = sysroot_open(sr, dir, O_RDONLY | O_DIRECTORY, &dfd);
        free(dir);
        if (r < 0)
                return r;
        r = unlinkat(dfd, base_of(rel), flags) < 0 ? -errno : 0;
        if (r >= 0 && fsync(dfd) < 0)
                r = -errno;
        close(dfd);
        return r;
}

int atomic_remove(const struct sysroot *sr, const char *rel)
{
        return unlink_in_root(sr, rel, 0);
}

int remove_empty_dir(const struct sysroot *sr, const char *rel)
{
        int r = unlink_in_root(sr, rel, AT_REMOVEDIR);

        return r == -ENOTEMPTY || r == -EEXIST || r == -ENOENT ? 0 : r;
}
