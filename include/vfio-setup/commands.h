/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/strv.h"

/*
 * The commands vfio-setup's plans run, each with the shape of its arguments: the
 * regeneration commands of every boot chain and their undo.  Planning emits nothing
 * else, and undo and a rollback run nothing else: a journal naming another command,
 * or one with arguments of another shape, is refused as damaged.
 */
bool command_known(const struct strv *argv);
