/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vfio-setup/diskop.h"

enum fault { FAULT_NONE, FAULT_KILL, FAULT_ENOSPC };

/* Counts this process's changes; the environment says at which one to fail. */
static int fault_point(bool takes_space)
{
        static enum fault kind = FAULT_NONE;
        static unsigned long at, changes, space_changes;
        static bool read_env;

        if (!read_env) {
                const char *f = getenv("VFIO_SETUP_FAULT");

                read_env = true;
                if (f && strncmp(f, "kill:", 5) == 0)
                        kind = FAULT_KILL, at = strtoul(f + 5, NULL, 10);
                else if (f && strncmp(f, "enospc:", 7) == 0)
                        kind = FAULT_ENOSPC, at = strtoul(f + 7, NULL, 10);
        }
        if (kind == FAULT_KILL && ++changes == at)
                raise(SIGKILL);
        if (kind == FAULT_ENOSPC && takes_space && ++space_changes == at)
                return -ENOSPC;
        return 0;
}

int disk_mkdirat(int dfd, const char *name, mode_t mode)
{
        int r = fault_point(true);

        if (r < 0)
                return r;
        return mkdirat(dfd, name, mode) < 0 ? -errno : 0;
}

static int open_new(int dfd, const char *name, int flags, mode_t mode, int *ret_fd)
{
        int fd, r = fault_point(true);

        if (r < 0)
                return r;
        fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int disk_create(int dfd, const char *name, mode_t mode, int *ret_fd)
{
        return open_new(dfd, name, O_WRONLY | O_CREAT | O_EXCL, mode, ret_fd);
}

int disk_open_rw(int dfd, const char *name, mode_t mode, int *ret_fd)
{
        return open_new(dfd, name, O_RDWR | O_CREAT | O_NONBLOCK, mode, ret_fd);
}

int disk_write(int fd, const void *data, size_t len)
{
        const char *p = data;
        int r = fault_point(true);

        if (r < 0)
                return r;
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

int disk_ftruncate(int fd, off_t len)
{
        int r = fault_point(false);

        if (r < 0)
                return r;
        return ftruncate(fd, len) < 0 ? -errno : 0;
}

int disk_fchown(int fd, uid_t uid, gid_t gid)
{
        int r = fault_point(false);

        if (r < 0)
                return r;
        return fchown(fd, uid, gid) < 0 ? -errno : 0;
}

int disk_fchmod(int fd, mode_t mode)
{
        int r = fault_point(false);

        if (r < 0)
                return r;
        return fchmod(fd, mode) < 0 ? -errno : 0;
}

int disk_fsetxattr(int fd, const char *name, const void *value, size_t size)
{
        int r = fault_point(true);

        if (r < 0)
                return r;
        return fsetxattr(fd, name, value, size, 0) < 0 ? -errno : 0;
}

int disk_fsync(int fd)
{
        int r = fault_point(true);

        if (r < 0)
                return r;
        return fsync(fd) < 0 ? -errno : 0;
}

int disk_renameat(int olddfd, const char *oldname, int newdfd, const char *newname)
{
        int r = fault_point(true);

        if (r < 0)
                return r;
        return renameat(olddfd, oldname, newdfd, newname) < 0 ? -errno : 0;
}

int disk_unlinkat(int dfd, const char *name, int flags)
{
        int r = fault_point(false);

        if (r < 0)
                return r;
        return unlinkat(dfd, name, flags) < 0 ? -errno : 0;
}
