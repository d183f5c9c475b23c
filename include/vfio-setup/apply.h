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

/* A file an apply or undo changed: its SHA-256 before and after ("" where it does not exist). */
struct apply_file {
        char *path;                     /* "/etc/default/grub" */
        char before[65], after[65];
};

/* A command that was run, and how it ended. */
struct apply_command {
        struct strv argv;
        int status;                     /* exit status (128 + signal); -1 not found, -2 killed for taking too long */
};

struct apply_result {
        char *failed;                   /* what failed, when the apply was rolled back */
        struct strv rolled_back;        /* files put back */
        struct strv left;               /* files that do not hold what they held before */
        bool wrote;                     /* a file of the machine was written or removed (else nothing changed) */
        bool checked;                   /* every file was read back after the rollback or undo: all as before */
        char *note;                     /* the journal could not record the rollback or undo */
        unsigned seq;                   /* the journal of this apply (or of the apply undone); 0 when none */
        struct apply_file *files;       /* what the apply wrote or the undo put back, when it succeeded */
        size_t n_files;
        struct apply_command *commands; /* every command run, in order (a rollback's are not: their outcome is in note) */
        size_t n_commands;
        bool reboot;                    /* what changed takes effect at the next boot */
        char *output;                   /* where the commands' output was kept, "/var/lib/.../0003/output", or NULL */
};

/* The commands' output kept beside a journal: the newest this many bytes of it. */
#define APPLY_OUTPUT_MAX (64 * 1024)

/*
 * Runs under the lock of lock.h.  0 when applied; before anything was
 * written (failed names why): -VS_E_LOCKED, -VS_E_UNFINISHED, -VS_E_STALE,
 * -VS_E_UNTRUSTED (the tree's programs would run as root), a damaged journal
 * (-VS_E_JOURNAL, -VS_E_JOURNAL_NEWER); -VS_E_COMMAND or a write error after
 * a rollback.
 */
int apply_plan(const struct sysroot *sr, const struct plan *p, const struct apply_options *o, struct apply_result *ret);

/*
 * Puts back what the newest unfinished or complete apply changed, where each
 * file still holds what that apply wrote (else the file is named in left and
 * stays, -VS_E_STALE); runs the regeneration commands again.  Every copy is
 * checked before the first file is written.  -ENOENT when there is nothing
 * to undo.
 */
int undo_last(const struct sysroot *sr, const struct apply_options *o, struct apply_result *ret, unsigned *ret_seq);

/* What undo_last would put back, to show before asking; read under the lock, which is let go again. */
struct undo_preview {
        unsigned seq;
        bool unfinished;                /* the apply was cut short */
        struct strv files;              /* "/etc/default/grub" */
        struct strv commands;
};

/*
 * -ENOENT when there is nothing to undo; -VS_E_LOCKED while another run
 * works; a damaged journal as journal_open_last says; *ret_reason says why.
 */
int undo_pending(const struct sysroot *sr, struct undo_preview *ret, char **ret_reason);
void undo_preview_free(struct undo_preview *u);

/*
 * One line for a failed apply or undo: what failed, then what is true of the
 * files now (nothing changed, every file read back as before, or which do not
 * hold what they held), then what the journal could not record.
 */
int apply_outcome(int r, const struct apply_result *res, char **ret);
void apply_result_free(struct apply_result *r);
