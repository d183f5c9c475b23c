/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/strv.h"

/*
 * Runs a regeneration command: fork and exec, no shell; output (stdout and
 * stderr together) handed over line by line as it comes.  On a root other
 * than "/" the command runs chrooted into it, so that it regenerates that
 * system's boot files.  Tests point command_dir at stand-ins instead.
 */
/*
 * A command is found and runs the same whatever the caller's environment: with
 * this PATH (the tree's, when chrooted), HOME=/root, LANG=C.UTF-8 and nothing
 * else.  Stand-ins in command_dir keep the caller's environment.
 */
#define RUN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct run_options {
        const char *root;               /* the system the command is for */
        const char *command_dir;        /* when set: commands come only from here, and no chroot */
        unsigned timeout;               /* seconds; 0 waits for ever */
        void (*line)(void *userdata, const char *line);
        void *userdata;
};

/*
 * 0 when the command exited 0; -ENOENT when it does not exist; -ETIMEDOUT when
 * it was killed for taking too long; -VS_E_COMMAND with *ret_status (the exit
 * status, or 128 + signal) when it failed.
 */
int run_command(const struct strv *argv, const struct run_options *o, int *ret_status);
