/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vfio-setup/atomic.h"
#include "vfio-setup/diskop.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/lock.h"

struct tool_lock {
        int fd;
};

static pid_t holder(int fd)
{
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        long pid;

        if (n <= 0)
                return 0;
        buf[n] = '\0';
        pid = strtol(buf, NULL, 10);
        return pid > 0 ? (pid_t)pid : 0;
}

int tool_lock_take(const struct sysroot *sr, unsigned wait_ms, struct tool_lock **ret, pid_t *ret_holder)
{
        struct tool_lock *l;
        struct stat st;
        char pid[32];
        int dfd, fd, r;

        r = atomic_open_dir(sr, "var/lib/vfio-setup", NULL, &dfd);
        if (r < 0)
                return r;
        r = disk_open_rw(dfd, "lock", 0600, &fd);
        close(dfd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -VS_E_NOT_REGULAR;
        }
        for (unsigned waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 100) {
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        r = -errno;
                        close(fd);
                        return r;
                }
                if (waited >= wait_ms) {
                        *ret_holder = holder(fd);
                        close(fd);
                        return -VS_E_LOCKED;
                }
                nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
        }
        snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        r = disk_ftruncate(fd, 0);
        if (r >= 0)
                r = disk_write(fd, pid, strlen(pid));
        l = r >= 0 ? malloc(sizeof(*l)) : NULL;
        if (!l) {
                close(fd);
                return r < 0 ? r : -ENOMEM;
        }
        l->fd = fd;
        *ret = l;
        return 0;
}

void tool_lock_release(struct tool_lock *l)
{
        if (!l)
                return;
        /* The pid goes first, so that nobody is named who no longer holds it. */
        (void)disk_ftruncate(l->fd, 0);
        close(l->fd);
        free(l);
}
