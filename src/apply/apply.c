/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "step.h"
#include "vfio-setup/atomic.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/sha256.h"

/* The plan was made from these contents: anything else means someone changed the file since. */
static int check_fresh(const struct sysroot *sr, const struct plan *p, struct apply_result *res)
{
        for (size_t i = 0; i < p->n_files; i++) {
                const struct plan_file *f = &p->files[i];
                char now[65], then[65] = "";
                int r = step_current_hash(sr, f->path, now);

                if (r < 0)
                        return step_fail(res, r, "/%s: %s", f->path, vs_strerror(r));
                if (f->action != PLAN_CREATE)
                        sha256_hex(f->old_content, f->old_len, then);
                if (strcmp(now, then) != 0)
                        return step_fail(res, -VS_E_STALE, "/%s changed since the plan was made; plan again", f->path);
        }
        return 0;
}

static void roll_back(const struct sysroot *sr, struct journal *j, size_t commands_ran, const struct apply_options *o,
                      struct apply_result *res)
{
        if (step_restore(sr, j, false, false, o, res) < 0)
                return;
        /* Their own failure must not hide the one that caused the rollback: it is a note. */
        if (commands_ran && step_run_undo_commands(j, commands_ran, o, NULL) < 0)
                step_add_note(res, "the commands run again after the files were put back failed too: the boot files may "
                              "not match the restored configuration until they run cleanly");
        step_mark(sr, j, JOURNAL_ROLLED_BACK, res);
}

int apply_plan(const struct sysroot *sr, const struct plan *p, const struct apply_options *caller,
               struct apply_result *ret)
{
        struct apply_result res = { 0 };
        struct tool_lock *held = NULL;
        struct journal *j = NULL;
        struct capture cap;
        const struct apply_options *o = &cap.o;
        size_t ran = 0;
        int r;

        struct shield shield;

        step_shield_up(&shield);
        step_capture_init(&cap, caller);
        r = step_take_lock(sr, &held, &res);
        if (r >= 0)
                r = step_open_last(sr, &j, &res);
        if (r >= 0 && j->state == JOURNAL_BEGUN)
                r = step_fail(&res, -VS_E_UNFINISHED, "apply %04u did not finish; run vfio-setup undo to put its files "
                         "back first", j->seq);
        journal_free(j);
        j = NULL;
        if (r == -ENOENT)
                r = 0;
        if (r >= 0)
                r = step_check_tree(sr, o, p->n_commands, &res);
        for (size_t i = 0; r >= 0 && i < p->n_files; i++)
                if (step_handover_file(p->files[i].path))
                        r = step_check_hook_idle(sr, &res);
        if (r >= 0)
                r = check_fresh(sr, p, &res);
        if (r >= 0 && (r = journal_begin(sr, p, &j)) < 0)
                r = step_fail(&res, r, "/" JOURNAL_DIR ": %s", vs_strerror(r));
        if (r < 0)
                goto out;
        res.wrote = true;

        for (size_t i = 0; i < p->n_files && r >= 0; i++) {
                const struct plan_file *f = &p->files[i];
                const struct journal_entry *e = &j->entries[i];

                step_progress(o, "%s /%s", f->action == PLAN_DELETE ? "removing" : "writing", f->path);
                if (f->action == PLAN_DELETE)
                        r = atomic_remove(sr, f->path);
                else
                        r = atomic_write(sr, f->path, f->new_content, f->new_len, e->mode & 0777, e->uid, e->gid, NULL);
                if (r < 0)
                        r = step_fail(&res, r, "/%s: %s", f->path, vs_strerror(r));
        }
        for (size_t i = 0; i < p->remove_dirs.n && r >= 0; i++)
                if ((r = remove_empty_dir(sr, p->remove_dirs.v[i])) < 0)
                        r = step_fail(&res, r, "/%s: %s", p->remove_dirs.v[i], vs_strerror(r));
        res.seq = j->seq;
        if (r >= 0 && o->regenerate)
                r = step_run_commands(j->commands, j->n_commands, o, &ran, &res);
        /* A command stopped half-way made what it made: that is no file of the journal's to put back. One that
         * was not there made nothing. */
        if (r < 0 && o->regenerate && ran < j->n_commands && res.failed && j->n_commands &&
            !(ran < res.n_commands && res.commands[ran].status == -1)) {
                char *line = shell_command(&j->commands[ran]);

                if (line)
                        step_add_note(&res, "what %s made before it failed (boot images, its own files) stays as it left "
                                 "them: run it again once its error is fixed", line);
                free(line);
        }
        /* An apply the journal cannot call complete is not one: it goes back too. */
        if (r >= 0 && (r = journal_set_state(sr, j, JOURNAL_COMPLETE)) < 0)
                r = step_fail(&res, r, "/" JOURNAL_DIR "/%04u/journal: %s", j->seq, vs_strerror(r));
        if (r < 0)
                roll_back(sr, j, ran, o, &res);
        else
                step_record_files(&res, j, true);
        step_capture_keep(&cap, sr, j->seq, "output", &res);
out:
        free(cap.buf);
        journal_free(j);
        tool_lock_release(held);
        step_shield_down(&shield);
        *ret = res;
        return r;
}
