/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/strbuf.h"
#include "vfio-setup/sysroot.h"

struct accesses {
        struct sysroot_access *v;
        size_t n, cap;
};

struct sysroot {
        char *dir;
        int fd;
        bool recording;
        /* Recording is bookkeeping, not state of the root: allowed through const. */
        struct accesses *log;
};

static const char *relative(const char *rel)
{
        while (*rel == '/')
                rel++;
        return *rel ? rel : ".";
}

int sysroot_new(const char *dir, struct sysroot **ret)
{
        struct sysroot *sr;
        char *real;
        int fd;

        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Absolute and without links, so that paths the kernel reports can be taken back below it. */
        real = realpath(dir, NULL);
        sr = real ? calloc(1, sizeof(*sr)) : NULL;
        if (!sr || !(sr->log = calloc(1, sizeof(*sr->log)))) {
                free(sr);
                free(real);
                close(fd);
                return real ? -ENOMEM : -errno;
        }
        sr->dir = real;
        sr->fd = fd;
        *ret = sr;
        return 0;
}

void sysroot_free(struct sysroot *sr)
{
        if (!sr)
                return;
        for (size_t i = 0; i < sr->log->n; i++)
                free(sr->log->v[i].path);
        free(sr->log->v);
        free(sr->log);
        close(sr->fd);
        free(sr->dir);
        free(sr);
}

const char *sysroot_dir(const struct sysroot *sr)
{
        return sr->dir;
}

void sysroot_record(struct sysroot *sr, bool on)
{
        sr->recording = on;
}

bool sysroot_recording(const struct sysroot *sr)
{
        return sr->recording;
}

const struct sysroot_access *sysroot_accesses(const struct sysroot *sr, size_t *ret_n)
{
        *ret_n = sr->log->n;
        return sr->log->v;
}

void sysroot_note(const struct sysroot *sr, enum sysroot_use use, const char *rel, size_t limit)
{
        struct accesses *log = sr->log;
        char *p;

        if (!sr->recording)
                return;
        if (log->n == log->cap) {
                size_t cap = log->cap ? log->cap * 2 : 256;
                struct sysroot_access *v = realloc(log->v, cap * sizeof(*v));

                if (!v)
                        return;
                log->v = v;
                log->cap = cap;
        }
        p = strdup(relative(rel));
        if (!p)
                return;
        log->v[log->n++] = (struct sysroot_access){ .use = use, .limit = limit, .path = p };
}

/*
 * What RESOLVE_IN_ROOT does, in user space: walk one component at a time from
 * the root's descriptor with O_PATH|O_NOFOLLOW, follow links by hand, and let
 * absolute targets and ".." stop at the root.  ".." never asks the file
 * system for a parent: it goes back to the descriptor this walk came down
 * through, so a directory renamed out of the root mid-walk cannot lead the
 * walk out after it.
 */
struct walk {
        int *fds;             /* fds[0] is the root; the top is the current directory */
        size_t n, cap;
};

static int walk_push(struct walk *w, int fd)
{
        if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 16;
                int *v = reallocarray(w->fds, cap, sizeof(*v));

                if (!v)
                        return -ENOMEM;
                w->fds = v;
                w->cap = cap;
        }
        w->fds[w->n++] = fd;
        return 0;
}

/* Back to the root alone; the root's descriptor is shared, not owned. */
static void walk_reset(struct walk *w)
{
        while (w->n > 1)
                close(w->fds[--w->n]);
}

static int chase(const struct sysroot *sr, const char *rel, int flags)
{
        struct walk w = { 0 };
        char *path = strdup(rel), *p;
        int links = 0, r;

        if (!path || walk_push(&w, sr->fd) < 0) {
                free(path);
                free(w.fds);
                return -ENOMEM;
        }
        for (p = path;;) {
                int dir = w.fds[w.n - 1], fd;
                char *comp, *next;
                struct stat st;

                while (*p == '/')
                        p++;
                if (!*p) {
                        /* The path named a directory reached through its components. */
                        r = openat(dir, ".", flags | O_CLOEXEC);
                        r = r < 0 ? -errno : r;
                        break;
                }
                comp = p;
                next = strchr(p, '/');
                p = next ? next + 1 : p + strlen(p);
                if (next)
                        *next = '\0';
                if (strcmp(comp, ".") == 0)
                        continue;
                if (strcmp(comp, "..") == 0) {
                        if (w.n > 1)
                                close(w.fds[--w.n]);
                        continue;
                }
                fd = openat(dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        r = -errno;
                        break;
                }
                if (fstat(fd, &st) < 0) {
                        r = -errno;
                        close(fd);
                        break;
                }
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX], *joined;
                        ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

                        close(fd);
                        if (n < 0 || ++links > 40) {
                                r = n < 0 ? -errno : -ELOOP;
                                break;
                        }
                        target[n] = '\0';
                        if (asprintf(&joined, "%s/%s", target, p) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        free(path);
                        path = p = joined;
                        if (target[0] == '/')
                                walk_reset(&w);
                        continue;
                }
                if (!*p) {
                        close(fd);
                        /* Replaced by a link since the look above: O_NOFOLLOW refuses it. */
                        r = openat(dir, comp, flags | O_NOFOLLOW | O_CLOEXEC);
                        r = r < 0 ? -errno : r;
                        break;
                }
                if (!S_ISDIR(st.st_mode)) {
                        close(fd);
                        r = -ENOTDIR;
                        break;
                }
                r = walk_push(&w, fd);
                if (r < 0) {
                        close(fd);
                        break;
                }
        }
        walk_reset(&w);
        free(w.fds);
        free(path);
        return r;
}

static int open_in_root(const struct sysroot *sr, const char *rel, int flags)
{
        static bool no_openat2;
        struct open_how how = {
                .flags = (unsigned long long)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT,
        };

        /*
         * EAGAIN: a rename or mount anywhere on the system while a ".." was resolved,
         * which sysfs's relative links are full of.  A few tries, then the walk,
         * which has no such race.
         */
        for (int tries = 0; !no_openat2 && tries < 3; tries++) {
                int fd = (int)syscall(SYS_openat2, sr->fd, relative(rel), &how, sizeof(how));

                if (fd >= 0)
                        return fd;
                if (errno == EAGAIN)
                        continue;
                /* Older kernels and seccomp filters refuse openat2 itself. */
                if (errno != ENOSYS && errno != EPERM)
                        return -errno;
                no_openat2 = true;
        }
        return chase(sr, relative(rel), flags);
}

int sysroot_open(const struct sysroot *sr, const char *rel, int flags, int *ret_fd)
{
        int fd = open_in_root(sr, rel, flags);

        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 0;
}

/* Opens the directory holding rel's last component, for the *at() calls. */
static int open_parent(const struct sysroot *sr, const char *rel, const char **ret_base)
{
        const char *r = relative(rel), *slash = strrchr(r, '/');
        char *dir;
        int fd;

        if (!slash) {
                *ret_base = r;
                return open_in_root(sr, ".", O_PATH | O_DIRECTORY);
        }
        dir = strndup(r, (size_t)(slash - r));
        if (!dir)
                return -ENOMEM;
        fd = open_in_root(sr, dir, O_PATH | O_DIRECTORY);
        free(dir);
        *ret_base = slash + 1;
        return fd;
}

/* 0 for a regular file, else -EISDIR or -VS_E_NOT_REGULAR. */
static int regular(int fd)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -VS_E_NOT_REGULAR;
        return 0;
}

int sysroot_open_regular(const struct sysroot *sr, const char *rel, int *ret_fd)
{
        int fd, r;

        /* O_NONBLOCK: opening a FIFO to look at it must not wait for a writer. */
        fd = open_in_root(sr, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return fd;
        r = regular(fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int sysroot_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
        size_t len = 0, cap = 4096, limit = max ? max : SYSROOT_READ_MAX + 1;
        char *buf;
        int r = regular(fd);

        if (r < 0)
                return r;
        buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        while (len < limit) {
                size_t want = cap - 1 - len;
                ssize_t k;

                if (want > limit - len)
                        want = limit - len;
                if (want == 0) {
                        char *nb = realloc(buf, cap * 2);

                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                        cap *= 2;
                        continue;
                }
                k = read(fd, buf + len, want);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        free(buf);
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        if (!max && len > SYSROOT_READ_MAX) {
                free(buf);
                return -EFBIG;
        }
        buf[len] = '\0';
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int sysroot_read(const struct sysroot *sr, const char *rel, size_t max, char **ret, size_t *ret_len)
{
        int fd, r;

        sysroot_note(sr, SYSROOT_USE_READ, rel, max);
        r = sysroot_open_regular(sr, rel, &fd);
        if (r < 0)
                return r;
        r = sysroot_read_fd(fd, max, ret, ret_len);
        close(fd);
        return r;
}

int sysroot_file_contains(const struct sysroot *sr, const char *rel, const char *needle, size_t max, bool *ret)
{
        size_t keep = strlen(needle) - 1, have = 0, total = 0;
        char buf[65536 + 256];
        int fd, r;

        sysroot_note(sr, SYSROOT_USE_READ, rel, max);
        if (keep + 1 > 256)
                return -EINVAL;
        r = sysroot_open_regular(sr, rel, &fd);
        if (r < 0)
                return r;
        *ret = false;
        while (total < max && !*ret) {
                ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : 0;
                        break;
                }
                total += (size_t)n;
                have += (size_t)n;
                buf[have] = '\0';
                *ret = memmem(buf, have, needle, keep + 1) != NULL;
                /* The needle may straddle two reads: its length less one byte carries over. */
                if (have > keep) {
                        memmove(buf, buf + have - keep, keep);
                        have = keep;
                }
        }
        close(fd);
        return r;
}

/* A record of dev/kmsg: "PRIORITY,SEQUENCE,MICROSECONDS,FLAGS[,...];MESSAGE", then continuation lines. */
static void kmsg_record(struct strbuf *b, const char *rec, size_t len)
{
        const char *semi = memchr(rec, ';', len), *end;

        if (!semi)
                return;
        end = memchr(semi, '\n', len - (size_t)(semi - rec));
        strbuf_printf(b, "%.*s\n", (int)((end ? end : rec + len) - semi - 1), semi + 1);
}

int sysroot_read_kernel_log(const struct sysroot *sr, size_t max, char **ret)
{
        struct strbuf b = { 0 };
        struct stat st;
        char rec[8192], *text = NULL;
        int fd, r = 0;

        sysroot_note(sr, SYSROOT_USE_READ, SYSROOT_KMSG, max);
        fd = open_in_root(sr, SYSROOT_KMSG, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (S_ISREG(st.st_mode)) {
                /* A captured log: the records one a line, continuation lines indented. */
                close(fd);
                r = sysroot_read(sr, SYSROOT_KMSG, max, &text, NULL);
                for (char *line = text, *nl; r >= 0 && line && *line; line = nl ? nl + 1 : NULL) {
                        nl = strchr(line, '\n');
                        if (*line != ' ')
                                kmsg_record(&b, line, nl ? (size_t)(nl - line) : strlen(line));
                }
                free(text);
                return r < 0 ? r : strbuf_finish(&b, ret);
        } else if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 11)
                r = -VS_E_NOT_REGULAR;
        /* The device hands out one record a read, and EAGAIN once it has given them all. */
        while (r >= 0 && b.len < max) {
                ssize_t n = read(fd, rec, sizeof(rec));

                if (n < 0 && (errno == EINTR || errno == EPIPE))
                        continue;
                if (n <= 0) {
                        r = n < 0 && errno != EAGAIN ? -errno : 0;
                        break;
                }
                kmsg_record(&b, rec, (size_t)n);
        }
        close(fd);
        if (r < 0) {
                free(b.s);
                return r;
        }
        return strbuf_finish(&b, ret);
}

int sysroot_read_line(const struct sysroot *sr, const char *rel, char **ret)
{
        char *buf, *line, *nl;
        int r;

        r = sysroot_read(sr, rel, 4096, &buf, NULL);
        if (r < 0)
                return r;
        nl = strchr(buf, '\n');
        if (nl)
                *nl = '\0';
        line = strdup(strip(buf));
        free(buf);
        if (!line)
                return -ENOMEM;
        *ret = line;
        return 0;
}

/* A number alone on the first line (0x prefix allowed); -EBADMSG on anything else. */
static int parse_uint(char *text, unsigned long *ret)
{
        char *nl = strchr(text, '\n'), *line, *end;
        unsigned long v;

        if (nl)
                *nl = '\0';
        line = strip(text);
        errno = 0;
        v = strtoul(line, &end, 0);
        if (*line == '\0' || *line == '-' || *end != '\0' || errno)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int sysroot_read_uint(const struct sysroot *sr, const char *rel, unsigned long *ret)
{
        char *text;
        int r;

        r = sysroot_read(sr, rel, 4096, &text, NULL);
        if (r < 0)
                return r;
        r = parse_uint(text, ret);
        free(text);
        return r;
}

int sysroot_resolve(const struct sysroot *sr, const char *rel, char **ret)
{
        char proc[32], target[PATH_MAX];
        size_t dl = strcmp(sr->dir, "/") == 0 ? 0 : strlen(sr->dir);
        ssize_t n;
        int fd = open_in_root(sr, rel, O_PATH);

        if (fd < 0)
                return fd;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, target, sizeof(target) - 1);
        close(fd);
        if (n < 0)
                return -errno;
        if ((size_t)n >= sizeof(target) - 1)
                return -ENAMETOOLONG;
        target[n] = '\0';
        /* Where the kernel says it is: below the root, or the root itself. */
        if (strncmp(target, sr->dir, dl) != 0 || (target[dl] != '/' && target[dl] != '\0'))
                return -EXDEV;
        *ret = strdup(target[dl] && target[dl + 1] ? target + dl + 1 : ".");
        return *ret ? 0 : -ENOMEM;
}

int sysroot_readlink(const struct sysroot *sr, const char *rel, char **ret)
{
        const char *base;
        char buf[PATH_MAX], *copy;
        ssize_t n;
        int fd;

        sysroot_note(sr, SYSROOT_USE_LINK, rel, 0);
        fd = open_parent(sr, rel, &base);
        if (fd < 0)
                return fd;
        n = readlinkat(fd, base, buf, sizeof(buf) - 1);
        if (n < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        close(fd);
        buf[n] = '\0';
        copy = strdup(buf);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

/* The last component of a link's target, which is freed. */
static int link_base(char *target, char **ret)
{
        char *slash = strrchr(target, '/'), *base = strdup(slash ? slash + 1 : target);

        free(target);
        if (!base)
                return -ENOMEM;
        if (!*base) {
                free(base);
                return -EBADMSG;
        }
        *ret = base;
        return 0;
}

int sysroot_readlink_base(const struct sysroot *sr, const char *rel, char **ret)
{
        char *target;
        int r;

        r = sysroot_readlink(sr, rel, &target);
        return r < 0 ? r : link_base(target, ret);
}

int sysroot_stat(const struct sysroot *sr, const char *rel, bool nofollow, struct stat *ret)
{
        const char *base;
        int fd, r = 0;

        sysroot_note(sr, SYSROOT_USE_STAT, rel, 0);
        if (nofollow) {
                fd = open_parent(sr, rel, &base);
                if (fd < 0)
                        return fd;
                if (fstatat(fd, base, ret, AT_SYMLINK_NOFOLLOW) < 0)
                        r = -errno;
        } else {
                fd = open_in_root(sr, rel, O_PATH);
                if (fd < 0)
                        return fd;
                if (fstat(fd, ret) < 0)
                        r = -errno;
        }
        close(fd);
        return r;
}

bool sysroot_exists(const struct sysroot *sr, const char *rel)
{
        struct stat st;

        return sysroot_stat(sr, rel, false, &st) == 0;
}

bool sysroot_is_dir(const struct sysroot *sr, const char *rel)
{
        struct stat st;

        return sysroot_stat(sr, rel, false, &st) == 0 && S_ISDIR(st.st_mode);
}

int sysroot_list_fd(int dirfd, struct strv *ret)
{
        struct strv names = { 0 };
        struct dirent *de;
        DIR *d;
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                r = strv_push(&names, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0) {
                strv_free(&names);
                return r;
        }
        strv_sort(&names);
        *ret = names;
        return 0;
}

int sysroot_list(const struct sysroot *sr, const char *rel, struct strv *ret)
{
        int fd, r;

        sysroot_note(sr, SYSROOT_USE_LIST, rel, 0);
        fd = open_in_root(sr, rel, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return fd;
        r = sysroot_list_fd(fd, ret);
        close(fd);
        return r;
}

int sysroot_dir_open(const struct sysroot *sr, const char *rel, struct sysroot_dir *ret)
{
        int fd = open_in_root(sr, rel, O_PATH | O_DIRECTORY);

        if (fd < 0)
                return fd;
        *ret = (struct sysroot_dir){ .sr = sr, .rel = rel, .fd = fd };
        return 0;
}

void sysroot_dir_close(struct sysroot_dir *d)
{
        if (d->fd >= 0)
                close(d->fd);
        d->fd = -1;
}

/* An entry's path below the root, for the record and for a link's slow way. */
static int dir_entry_path(const struct sysroot_dir *d, const char *name, char *buf, size_t size)
{
        /* One component: a name with a slash or a dot-dot would reach out of the directory. */
        if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return -EINVAL;
        if ((size_t)snprintf(buf, size, "%s/%s", d->rel, name) >= size)
                return -ENAMETOOLONG;
        return 0;
}

int sysroot_dir_read(const struct sysroot_dir *d, const char *name, char *buf, size_t size, size_t *ret_len)
{
        char path[PATH_MAX];
        size_t len = 0;
        int fd, r;

        r = dir_entry_path(d, name, path, sizeof(path));
        if (r < 0)
                return r;
        sysroot_note(d->sr, SYSROOT_USE_READ, path, size - 1);
        fd = openat(d->fd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ELOOP) {
                /* A link: followed inside the root, the whole way. */
                r = sysroot_open_regular(d->sr, path, &fd);
                if (r < 0)
                        return r;
        } else if (fd < 0)
                return -errno;
        else if ((r = regular(fd)) < 0) {
                close(fd);
                return r;
        }
        while (len < size - 1) {
                size_t want = size - 1 - len;
                ssize_t n = read(fd, buf + len, want);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        close(fd);
                        return r;
                }
                len += (size_t)n;
                if ((size_t)n < want)
                        break;
        }
        close(fd);
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        return 0;
}

int sysroot_dir_read_uint(const struct sysroot_dir *d, const char *name, unsigned long *ret)
{
        char buf[4096];
        int r = sysroot_dir_read(d, name, buf, sizeof(buf), NULL);

        return r < 0 ? r : parse_uint(buf, ret);
}

int sysroot_dir_readlink_base(const struct sysroot_dir *d, const char *name, char **ret)
{
        char path[PATH_MAX], target[PATH_MAX], *copy;
        ssize_t n;
        int r;

        r = dir_entry_path(d, name, path, sizeof(path));
        if (r < 0)
                return r;
        sysroot_note(d->sr, SYSROOT_USE_LINK, path, 0);
        n = readlinkat(d->fd, name, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        copy = strdup(target);
        return copy ? link_base(copy, ret) : -ENOMEM;
}
