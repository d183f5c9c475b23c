/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What an apply and an undo share: the lock, the shield against the terminal going away,
 * the journal's opening, the commands' output kept beside it, the checks before anything is
 * touched, putting files back and running commands, and what the result records.
 */

#include <signal.h>
#include <stdbool.h>

#include "vfio-setup/apply.h"
#include "vfio-setup/lock.h"

/*
 * The commands' output as it comes, for the journal: each line is also
 * handed on to the caller.  The newest APPLY_OUTPUT_MAX bytes are kept (an
 * error is at the end), and how much was dropped is said.
 */
struct capture {
        char *buf;
        size_t len, dropped;
        struct apply_options o;         /* the caller's, with run.line pointing here */
        const struct apply_options *caller;
};

void step_capture_init(struct capture *c, const struct apply_options *o);
void step_capture_keep(struct capture *c, const struct sysroot *sr, unsigned seq, const char *name,
                       struct apply_result *res);

/*
 * A transaction finishes whatever happens to the terminal it reports to: a hang-up waits until
 * the journal says how it ended (and then takes its usual course), and a closed pipe is only an
 * error of the write (SIGPIPE is ignored: the caller's output may be gone, the work is not).
 */
struct shield {
        sigset_t old;
        struct sigaction pipe;
};

void step_shield_up(struct shield *s);
void step_shield_down(const struct shield *s);

void step_progress(const struct apply_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records what failed in res and returns err. */
int step_fail(struct apply_result *res, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int step_add_note(struct apply_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int step_current_hash(const struct sysroot *sr, const char *path, char out[65]);
int step_check_tree(const struct sysroot *sr, const struct apply_options *o, size_t n_commands,
                    struct apply_result *res);
int step_check_hook_idle(const struct sysroot *sr, struct apply_result *res);
/* A script that hands devices over (single-GPU mode's, handover's hook or hookscript). */
bool step_handover_file(const char *path);

int step_lock(const struct sysroot *sr, struct tool_lock **ret, char **ret_reason);
int step_take_lock(const struct sysroot *sr, struct tool_lock **ret, struct apply_result *res);
int step_open_last(const struct sysroot *sr, struct journal **ret, struct apply_result *res);

/* Puts the journal's files back (undo) or forward; check: each must still hold what the journal says. */
int step_restore(const struct sysroot *sr, const struct journal *j, bool check, bool undo,
                 const struct apply_options *o, struct apply_result *res);
void step_record_files(struct apply_result *res, const struct journal *j, bool forward);
int step_run_commands(const struct strv *commands, size_t n, const struct apply_options *o, size_t *ret_ran,
                      struct apply_result *res);
int step_run_undo_commands(const struct journal *j, size_t n, const struct apply_options *o, struct apply_result *res);
int step_mark(const struct sysroot *sr, struct journal *j, enum journal_state state, struct apply_result *res);
