/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "vfio-setup/strv.h"

/*
 * Every file the program reads or writes is named relative to the system
 * root given with --root ("/" by default).  Paths given to these functions
 * may start with '/'; they are always taken below the root, and symbolic
 * links are resolved inside it where the kernel can (openat2 RESOLVE_IN_ROOT).
 */
struct sysroot;

/* How a path was used; recorded so that `snapshot` can capture exactly it. */
enum sysroot_use {
        SYSROOT_USE_READ,     /* content was read */
        SYSROOT_USE_STAT,     /* only existence or type mattered */
        SYSROOT_USE_LIST,     /* directory was listed */
        SYSROOT_USE_LINK,     /* symbolic link was read */
};

struct sysroot_access {
        enum sysroot_use use;
        size_t limit;         /* bytes of content that matter, for READ */
        char *path;           /* relative, no leading '/' */
};

/* -ENOENT / -ENOTDIR when dir is not an existing directory. */
int sysroot_new(const char *dir, struct sysroot **ret);
void sysroot_free(struct sysroot *sr);

/* The root directory, absolute and without links ("/" for the real system). */
const char *sysroot_dir(const struct sysroot *sr);

/* Starts or stops recording accesses; the record lives until sysroot_free. */
void sysroot_record(struct sysroot *sr, bool on);
const struct sysroot_access *sysroot_accesses(const struct sysroot *sr, size_t *ret_n);
bool sysroot_recording(const struct sysroot *sr);
/* Records an access made by a library that opens files by name itself. */
void sysroot_note(const struct sysroot *sr, enum sysroot_use use, const char *rel, size_t limit);

/* A whole file is never read past this: a crafted tree cannot make a read cost more. */
#define SYSROOT_READ_MAX (8u << 20)

int sysroot_open(const struct sysroot *sr, const char *rel, int flags, int *ret_fd);
/*
 * Opens a regular file for reading; -EISDIR for a directory, -VS_E_NOT_REGULAR
 * for a FIFO, device or socket (opened without blocking, never as a terminal).
 */
int sysroot_open_regular(const struct sysroot *sr, const char *rel, int *ret_fd);
/*
 * Reads a regular file: its first max bytes, or when max is 0 the whole file,
 * -EFBIG when that is over SYSROOT_READ_MAX.  The result is NUL-terminated.
 */
int sysroot_read(const struct sysroot *sr, const char *rel, size_t max, char **ret, size_t *ret_len);
/*
 * sysroot_read of a file already open: for one reached through directories whose
 * descriptors were checked on the way (the journal).  -VS_E_NOT_REGULAR, -EISDIR as above.
 */
int sysroot_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
/*
 * Whether a regular file holds needle, read in pieces up to max bytes (for files larger
 * than SYSROOT_READ_MAX, such as proc/kallsyms).
 */
int sysroot_file_contains(const struct sysroot *sr, const char *rel, const char *needle, size_t max, bool *ret);
/*
 * The kernel's log, its messages one a line: dev/kmsg, which is the kernel's record device
 * (character device 1:11, read without waiting) on a live system, or a regular file holding
 * its records in a captured tree.  At most max bytes.
 */
#define SYSROOT_KMSG "dev/kmsg"
int sysroot_read_kernel_log(const struct sysroot *sr, size_t max, char **ret);
/* First line without surrounding white space. */
int sysroot_read_line(const struct sysroot *sr, const char *rel, char **ret);
/* Parses a file holding one number (0x prefix allowed); -EBADMSG on garbage. */
int sysroot_read_uint(const struct sysroot *sr, const char *rel, unsigned long *ret);
int sysroot_readlink(const struct sysroot *sr, const char *rel, char **ret);
/*
 * Where rel leads once every link on the way is followed inside the root: its path
 * below the root ("." for the root), as the kernel names what it opened.
 */
int sysroot_resolve(const struct sysroot *sr, const char *rel, char **ret);
/* Last component of a link's target, e.g. the driver name of .../driver. */
int sysroot_readlink_base(const struct sysroot *sr, const char *rel, char **ret);
/* lstat when nofollow, else stat. */
int sysroot_stat(const struct sysroot *sr, const char *rel, bool nofollow, struct stat *ret);
bool sysroot_exists(const struct sysroot *sr, const char *rel);
bool sysroot_is_dir(const struct sysroot *sr, const char *rel);
/* Sorted entry names, without "." and "..". */
int sysroot_list(const struct sysroot *sr, const char *rel, struct strv *ret);
/* The same, of a directory already open (O_PATH will do). */
int sysroot_list_fd(int dirfd, struct strv *ret);

/*
 * A directory opened once through the root, whose entries are then read by name: one
 * component below it, so that many small reads in one directory (a PCI device's attributes)
 * do not resolve the whole path each time.  A link there is followed inside the root, as
 * sysroot_read follows it.  rel is kept, not copied.
 */
struct sysroot_dir {
        const struct sysroot *sr;
        const char *rel;
        int fd;
};

/* -ENOENT / -ENOTDIR when rel does not lead to a directory. */
int sysroot_dir_open(const struct sysroot *sr, const char *rel, struct sysroot_dir *ret);
void sysroot_dir_close(struct sysroot_dir *d);
/*
 * Reads a regular file of the directory into buf, at most size - 1 bytes, NUL-terminated.  A
 * read shorter than asked is the file's end, as sysfs gives an attribute whole in one read.
 */
int sysroot_dir_read(const struct sysroot_dir *d, const char *name, char *buf, size_t size, size_t *ret_len);
/* sysroot_read_uint of an entry. */
int sysroot_dir_read_uint(const struct sysroot_dir *d, const char *name, unsigned long *ret);
/* sysroot_readlink_base of an entry. */
int sysroot_dir_readlink_base(const struct sysroot_dir *d, const char *name, char **ret);
