/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * A minimal writer of gzip-compressed POSIX tar (ustar, with pax extended
 * headers for long names), enough for snapshots: directories, regular
 * files and symbolic links.
 */
struct tar;

int tar_open(const char *path, struct tar **ret);
int tar_add_dir(struct tar *t, const char *name, mode_t mode);
int tar_add_file(struct tar *t, const char *name, mode_t mode, const void *data, size_t len);
int tar_add_symlink(struct tar *t, const char *name, const char *target);
/* Writes the end of the archive; the file is complete only when this returns 0. Frees t. */
int tar_close(struct tar *t);
/* Drops t without finishing the archive. */
void tar_abort(struct tar *t);
