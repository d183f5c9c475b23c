/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "vfio-setup/sysroot.h"

/*
 * Whether a tree's programs may run as root, chrooted into it: only when all
 * they can reach is root's alone.  That is the directories from the host's /
 * down to the tree's root, the root itself, the directories on the way to
 * what follows, and everything below the runner's fixed PATH, the libraries
 * and what the generators source or run (one table, in trust.c): each owned
 * by root and writable by neither its group nor others.  Above the root a
 * sticky directory (/tmp) may be writable by all: only a file's owner can
 * rename it there.  Links are followed inside the tree; where one leads
 * outside all that, its target and the directories on the way are checked
 * too, and all below it when it is a directory.
 */
enum tree_doubt {
        TREE_NOT_ROOTS,                 /* owned by another user (uid) */
        TREE_WRITABLE,                  /* writable by its group or by others */
        TREE_UNREADABLE,                /* could not be looked at (err) */
        TREE_TOO_LARGE,                 /* more than TREE_CHECK_MAX entries, or nested deeper than systems are */
};

struct tree_finding {
        char *path;                     /* absolute, as the host names it */
        enum tree_doubt doubt;
        uid_t uid;
        int err;
};

/* A system's programs, libraries and generator files are some hundred thousand entries. */
#define TREE_CHECK_MAX (4u << 20)

/*
 * 0 when the tree's programs may run as root; -VS_E_UNTRUSTED with *ret the
 * first thing found that is not root's alone; -ENOMEM.  entries (may be NULL)
 * says how many were looked at.
 */
int tree_check(const struct sysroot *sr, struct tree_finding *ret, size_t *entries);
void tree_finding_free(struct tree_finding *f);
