/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

#include "vfio-setup/sysroot.h"

/*
 * One vfio-setup at a time changes a system: apply, undo and the wizard's
 * apply hold this lock (flock on LOCK_PATH, which names its holder's pid)
 * from checking the plan's files to committing the journal.
 */
#define LOCK_PATH "var/lib/vfio-setup/lock"

struct tool_lock;

/*
 * Takes the lock, waiting up to wait_ms for another run to let go;
 * -VS_E_LOCKED with *ret_holder (0 when unknown) when it does not.
 */
int tool_lock_take(const struct sysroot *sr, unsigned wait_ms, struct tool_lock **ret, pid_t *ret_holder);
void tool_lock_release(struct tool_lock *l);
