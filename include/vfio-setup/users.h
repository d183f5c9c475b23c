/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

#include "vfio-setup/strv.h"
#include "vfio-setup/sysroot.h"

/*
 * The people who log in to the machine: etc/passwd's users with a UID from 1000 (the
 * first regular user on every distribution vfio-setup knows) below 60000, and a shell
 * that lets them in.  In file order; empty when etc/passwd is unreadable.
 */
int local_users(const struct sysroot *sr, struct strv *ret);
/* The UID etc/passwd gives name; -ESRCH when it names no such user, -ENOENT without etc/passwd. */
int user_uid(const struct sysroot *sr, const char *name, uid_t *ret);
