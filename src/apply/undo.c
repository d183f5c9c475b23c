/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "step.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/escape.h"

int undo_last(const struct sysroot *sr, const struct apply_options *caller, struct apply_result *ret, unsigned *ret_seq)
{
        struct apply_result res = { 0 };
        struct tool_lock *held = NULL;
        struct journal *j = NULL;
        struct capture cap;
        const struct apply_options *o = &cap.o;
        int r;

        struct shield shield;

        step_shield_up(&shield);
        step_capture_init(&cap, caller);
        r = step_take_lock(sr, &held, &res);
        if (r >= 0)
                r = step_open_last(sr, &j, &res);
        if (r >= 0) {
                *ret_seq = res.seq = j->seq;
                r = step_check_tree(sr, o, j->n_commands, &res);
        }
        for (size_t k = 0; r >= 0 && k < j->n; k++)
                if (step_handover_file(j->entries[k].path))
                        r = step_check_hook_idle(sr, &res);
        /* An apply cut short may have written some files and not others: there is nothing to check against. */
        if (r >= 0)
                r = step_restore(sr, j, j->state == JOURNAL_COMPLETE, true, o, &res);
        for (size_t k = 0; r >= 0 && k < j->n; k++)
                if (j->entries[k].seeded)
                        r = step_add_note(&res, "/%s, which apply made, stays: it holds the command line the boot entries "
                                     "had before (without it they would be made from the running one)",
                                     j->entries[k].path);
        if (r >= 0 && res.left.n)
                r = -VS_E_STALE;
        if (r >= 0 && o->regenerate)
                r = step_run_undo_commands(j, j->n_commands, o, &res);
        if (r >= 0)
                r = step_mark(sr, j, j->state == JOURNAL_COMPLETE ? JOURNAL_UNDONE : JOURNAL_ROLLED_BACK, &res);
        if (r >= 0)
                step_record_files(&res, j, false);
        if (j)
                step_capture_keep(&cap, sr, j->seq, "undo-output", &res);
        free(cap.buf);
        journal_free(j);
        tool_lock_release(held);
        step_shield_down(&shield);
        *ret = res;
        return r;
}

int undo_pending(const struct sysroot *sr, struct undo_preview *ret, char **ret_reason)
{
        struct undo_preview u = { 0 };
        struct tool_lock *l;
        struct journal *j;
        int r;

        /* While another run works, its journal says "begun": it is not read until that run is done. */
        r = step_lock(sr, &l, ret_reason);
        if (r < 0)
                return r;
        r = journal_open_last(sr, &j, ret_reason);
        tool_lock_release(l);
        if (r < 0)
                return r;
        u.seq = j->seq;
        u.unfinished = j->state == JOURNAL_BEGUN;
        for (size_t i = 0; i < j->n && r >= 0; i++)
                r = strv_pushf(&u.files, "/%s", j->entries[i].path);
        if (r >= 0) {
                struct strv *undo;
                size_t n_undo;

                r = commands_for_undo(j->commands, j->undo_commands, j->n_commands, &undo, &n_undo);
                if (r >= 0) {
                        for (size_t i = 0; r >= 0 && i < n_undo; i++)
                                r = strv_consume(&u.commands, shell_command(&undo[i]));
                        commands_free(undo, n_undo);
                }
        }
        journal_free(j);
        if (r < 0) {
                undo_preview_free(&u);
                return r;
        }
        *ret = u;
        return 0;
}

void undo_preview_free(struct undo_preview *u)
{
        strv_free(&u->files);
        strv_free(&u->commands);
}
