/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Every system call by which vfio-setup changes a disk goes through here, so
 * that the crash and full-disk tests can stop it at each one:
 * VFIO_SETUP_FAULT=kill:N dies by SIGKILL instead of making the Nth change,
 * VFIO_SETUP_FAULT=enospc:N fails the Nth change that takes space with
 * ENOSPC.  Each returns 0 or a negative errno.
 */
int disk_mkdirat(int dfd, const char *name, mode_t mode);
/* A new file, exclusive, never through a link; write only. */
int disk_create(int dfd, const char *name, mode_t mode, int *ret_fd);
/* A file to lock: made if missing, never through a link; read and write. */
int disk_open_rw(int dfd, const char *name, mode_t mode, int *ret_fd);
int disk_write(int fd, const void *data, size_t len);
int disk_ftruncate(int fd, off_t len);
int disk_fchown(int fd, uid_t uid, gid_t gid);
int disk_fchmod(int fd, mode_t mode);
int disk_fsetxattr(int fd, const char *name, const void *value, size_t size);
int disk_fsync(int fd);
int disk_renameat(int olddfd, const char *oldname, int newdfd, const char *newname);
int disk_unlinkat(int dfd, const char *name, int flags);
