/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "vfio-setup/strv.h"
#include "vfio-setup/sysroot.h"

/*
 * Writes a file below the root so that it is either wholly old or wholly new,
 * also after a crash: a temporary file in the same directory with the given
 * mode and owner, fsync, rename over the target, fsync of the directory.  The
 * target must not be a link (the plan names links' targets) nor have other
 * hard links (-EMLINK: the rename would split them); its extended attributes
 * (SELinux label, ACLs) go to the new file.  Missing parent directories are
 * made (mode 0755) and appended to created_dirs when not NULL.
 */
int atomic_write(const struct sysroot *sr, const char *rel, const void *data, size_t len, mode_t mode, uid_t uid,
                 gid_t gid, struct strv *created_dirs);
/* What a temporary file of atomic_write is called until its rename. */
#define ATOMIC_TEMP_PREFIX ".#vfio-setup."

/* Opens a directory below the root, making it and its parents (0755) as needed. */
int atomic_open_dir(const struct sysroot *sr, const char *dir, struct strv *created, int *ret_fd);
/* Removes what a run killed half-way left of atomic_write's temporary files in dir. */
int atomic_clean_temporaries(const struct sysroot *sr, const char *dir);
/* Removes a file and makes the removal durable (fsync of the directory). */
int atomic_remove(const struct sysroot *sr, const char *rel);
/* Removes a directory if it is empty; 0 also when it is not. */
int remove_empty_dir(const struct sysroot *sr, const char *rel);
