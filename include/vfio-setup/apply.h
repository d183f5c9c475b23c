/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/journal.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/runner.h"

/*
 * Carries out a plan: journal and copies first, then each file atomically,
 * then the regeneration commands.  A file that changed since the plan stops
 * it before anything is written; a failing write or command puts every file
 * back (and runs again the commands that had run, so boot files match the
 * restored configuration).
 */
struct apply_options {
        bool regenerate;                /* run the commands (else the caller says what to run) */
        struct run_options run;         /* where and how commands run, and where their output goes */
        /* Told before each step: "writing /etc/...", "running update-grub (1/2)". */
        void (*progress)(void *userdata, const char *what);
        void *userdata;
};

struct apply_result {
        char *failed;                   /* what failed, when the apply was rolled back */
        struct strv rolled_back;        /* files put back */
        struct strv left;               /* files that could not be put back */
};

/*
 * 0 when applied; -VS_E_STALE / -VS_E_UNFINISHED before anything was written
 * (failed names why); -VS_E_COMMAND or a write error after a rollback.
 */
int apply_plan(const struct sysroot *sr, const struct plan *p, const struct apply_options *o, struct apply_result *ret);

/*
 * Puts back what the newest unfinished or complete apply changed, where each
 * file still holds what that apply wrote (else the file is named in left and
 * stays); runs the regeneration commands again.  -ENOENT when there is nothing
 * to undo.
 */
int undo_last(const struct sysroot *sr, const struct apply_options *o, struct apply_result *ret, unsigned *ret_seq);

void apply_result_free(struct apply_result *r);
