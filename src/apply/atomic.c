/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vfio-setup/atomic.h"
#include "vfio-setup/diskop.h"
#include "vfio-setup/errors.h"

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

int atomic_open_dir(const struct sysroot *sr, const char *dir, struct strv *created, int *ret_fd)
{
        char *parent_path;
        int r = sysroot_open(sr, dir, O_RDONLY | O_DIRECTORY, ret_fd), parent;

        if (r != -ENOENT)
                return r;
        parent_path = dir_of(dir);
        r = parent_path ? atomic_open_dir(sr, parent_path, created, &parent) : -ENOMEM;
        free(parent_path);
        if (r < 0)
                return r;
        r = disk_mkdirat(parent, base_of(dir), 0755);
        if (r == 0)
                r = created ? strv_push(created, dir) : 0;
        else if (r == -EEXIST)
                r = 0;
        if (r >= 0)
                r = disk_fsync(parent);
        if (r >= 0)
                r = sysroot_open(sr, dir, O_RDONLY | O_DIRECTORY, ret_fd);
        close(parent);
        return r;
}

/*
 * Extended attributes (SELinux labels, ACLs, user attributes) belong to the
 * file, not to its name: the new file gets the old one's.
 */
static int copy_xattrs(int from, int to)
{
        ssize_t n = flistxattr(from, NULL, 0);
        char *names, *value = NULL;
        int r = 0;

        if (n <= 0)
                return n < 0 && errno != ENOTSUP ? -errno : 0;
        names = malloc((size_t)n);
        if (!names)
                return -ENOMEM;
        n = flistxattr(from, names, (size_t)n);
        if (n < 0)
                r = -errno;
        for (char *name = names; r >= 0 && name < names + n; name += strlen(name) + 1) {
                ssize_t len = fgetxattr(from, name, NULL, 0), got;
                char *v;

                if (len < 0) {
                        r = -errno;
                        break;
                }
                v = realloc(value, len ? (size_t)len : 1);
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                value = v;
                got = fgetxattr(from, name, value, (size_t)len);
                if (got < 0)
                        r = -errno;
                else
                        r = disk_fsetxattr(to, name, value, (size_t)got);
        }
        free(value);
        free(names);
        return r;
}

/* What the file being replaced lends the new one; -EMLINK when a rename would split its hard links. */
static int look_at_old(int dfd, const char *base, int *ret_fd)
{
        struct stat st;
        int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), r = 0;

        *ret_fd = -1;
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (!S_ISREG(st.st_mode))
                r = S_ISDIR(st.st_mode) ? -EISDIR : -VS_E_NOT_REGULAR;
        else if (st.st_nlink > 1)
                r = -EMLINK;
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int atomic_write(const struct sysroot *sr, const char *rel, const void *data, size_t len, mode_t mode, uid_t uid,
                 gid_t gid, struct strv *created_dirs)
{
        char *dir = dir_of(rel), tmp[64];
        const char *base = base_of(rel);
        struct stat st;
        uint64_t rnd = 0;
        int dfd, fd, old, r;

        if (!dir)
                return -ENOMEM;
        r = atomic_open_dir(sr, dir, created_dirs, &dfd);
        free(dir);
        if (r < 0)
                return r;
        if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                close(dfd);
                return -ELOOP;
        }
        r = look_at_old(dfd, base, &old);
        if (r < 0) {
                close(dfd);
                return r;
        }
        (void)!getrandom(&rnd, sizeof(rnd), 0);
        snprintf(tmp, sizeof(tmp), ATOMIC_TEMP_PREFIX "%016llx", (unsigned long long)rnd);
        r = disk_create(dfd, tmp, 0600, &fd);
        if (r < 0) {
                if (old >= 0)
                        close(old);
                close(dfd);
                return r;
        }
        r = disk_write(fd, data, len);
        /* Owner first: chown clears set-id bits that fchmod then puts back. */
        if (r >= 0 && geteuid() == 0)
                r = disk_fchown(fd, uid, gid);
        if (r >= 0)
                r = disk_fchmod(fd, mode & 07777);
        if (r >= 0 && old >= 0)
                r = copy_xattrs(old, fd);
        if (r >= 0)
                r = disk_fsync(fd);
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        if (old >= 0)
                close(old);
        if (r >= 0)
                r = disk_renameat(dfd, tmp, dfd, base);
        if (r < 0)
                unlinkat(dfd, tmp, 0);
        else
                r = disk_fsync(dfd);
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
        r = disk_unlinkat(dfd, base_of(rel), flags);
        if (r >= 0)
                r = disk_fsync(dfd);
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

int atomic_clean_temporaries(const struct sysroot *sr, const char *dir)
{
        struct dirent *de;
        DIR *d;
        int dfd, r = sysroot_open(sr, dir, O_RDONLY | O_DIRECTORY, &dfd);

        if (r < 0)
                return r == -ENOENT ? 0 : r;
        d = fdopendir(dfd);
        if (!d) {
                r = -errno;
                close(dfd);
                return r;
        }
        while (r >= 0 && (de = readdir(d))) {
                struct stat st;

                if (strncmp(de->d_name, ATOMIC_TEMP_PREFIX, strlen(ATOMIC_TEMP_PREFIX)) != 0 ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
                    st.st_uid != geteuid())
                        continue;
                r = disk_unlinkat(dirfd(d), de->d_name, 0);
                if (r >= 0)
                        r = disk_fsync(dirfd(d));
        }
        closedir(d);
        return r;
}
