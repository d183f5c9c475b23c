/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "remedies.h"
#include "wizard_private.h"

/*
 * Carries out the reviewed plan, or (w->undo) puts back the last apply.  The
 * log of what happened stays scrollable afterwards: a failing command's error
 * is the thing to read.
 */
enum apply_phase { CONFIRM, RUNNING, DONE, FAILED, NOTHING };

struct apply_view {
        enum apply_phase phase;
        struct plan *plan;
        struct undo_preview undo;       /* with w->undo: what goes back */
        char *why_not;                  /* with w->undo: why nothing can be undone */
        struct strv log;                /* progress and command output, as it came */
        int scroll;                     /* rows up from the newest */
        struct wizard *w;               /* for the progress callbacks */
};

static int enter(struct wizard *w, void *priv)
{
        struct apply_view *v = priv;
        char *reason = NULL;
        int r;

        v->w = w;
        if (w->undo) {
                r = undo_pending(w->sr, &v->undo, &reason);
                if (r == -ENOENT)
                        v->why_not = strdup("There is no apply to undo: vfio-setup has not changed this machine, or "
                                            "its last change was undone already.");
                else if (r < 0 && asprintf(&v->why_not, "Undo is not possible now: %s",
                                           reason ? reason : vs_strerror(r)) < 0)
                        v->why_not = NULL;
                free(reason);
                v->phase = r < 0 ? NOTHING : CONFIRM;
                return r < 0 && r != -ENOENT && !v->why_not ? -ENOMEM : 0;
        }
        /* The same plan review showed: made again from the same machine and choices. */
        r = plan_build_worded(w->sr, w->m, &w->sel, wizard_remedies, &v->plan, &reason);
        free(reason);
        if (r < 0)
                return r;
        v->phase = plan_empty(v->plan) ? NOTHING : CONFIRM;
        if (v->phase == NOTHING)
                w->outcome = OUTCOME_NOTHING;
        return 0;
}

static void release(void *priv)
{
        struct apply_view *v = priv;

        plan_free(v->plan);
        undo_preview_free(&v->undo);
        free(v->why_not);
        strv_free(&v->log);
}

static void progress(void *userdata, const char *what)
{
        struct apply_view *v = userdata;

        strv_push(&v->log, what);
        if (v->w->o.redraw)
                v->w->o.redraw(v->w->o.userdata);
}

static void output(void *userdata, const char *line)
{
        struct apply_view *v = userdata;

        strv_pushf(&v->log, "  | %s", line);
        if (v->w->o.redraw)
                v->w->o.redraw(v->w->o.userdata);
}

static size_t count_action(const struct plan *p, bool deletes)
{
        size_t n = 0;

        for (size_t i = 0; i < p->n_files; i++)
                n += (p->files[i].action == PLAN_DELETE) == deletes;
        return n;
}

/*
 * What the plan takes from the host or risks, as its warnings say in the words of the mode chosen
 * (single-GPU mode, the boot GPU, a shared group, a device the host is reached through): each at
 * the moment of confirming, down to row limit.
 */
static int draw_risks(const struct apply_view *v, struct canvas *c, int y, int limit)
{
        size_t i;

        for (i = 0; i < v->plan->warnings.n; i++) {
                char *text = NULL;

                if (asprintf(&text, "- %s", v->plan->warnings.v[i]) < 0)
                        break;
                /* One row is kept for the line that says how many more there are. */
                if ((i ? y : y + 1) + canvas_wrap_rows(c->w - 4, text) > limit - (i + 1 < v->plan->warnings.n)) {
                        free(text);
                        break;
                }
                y = canvas_wrap(c, i ? y : y + 1, 2, c->w - 4, CR_WARNING, text);
                free(text);
        }
        if (i < v->plan->warnings.n)
                canvas_printf(c, y++, 2, CR_WARNING, "- and %zu more: b goes back to the review, which lists them",
                              v->plan->warnings.n - i);
        return y;
}

static int draw_confirm(const struct wizard *w, const struct apply_view *v, struct canvas *c, int y, int bottom)
{
        if (w->undo) {
                y = canvas_wrap(c, y, 2, c->w - 4, CR_NORMAL,
                                v->undo.unfinished ? "The last apply did not finish. Undo puts back the files it had "
                                                     "changed, from the copies its journal keeps:"
                                                   : "Undo puts back what the last apply changed, where nobody has "
                                                     "changed the file since:");
                for (size_t i = 0; i < v->undo.files.n && y < c->h - 6; i++)
                        canvas_printf(c, y++, 4, CR_NORMAL, "%s", v->undo.files.v[i]);
                for (size_t i = 0; i < v->undo.commands.n && y < c->h - 6; i++)
                        canvas_printf(c, y++, 4, CR_DIM, "then runs %s", v->undo.commands.v[i]);
        } else {
                size_t deletes = count_action(v->plan, true), writes = v->plan->n_files - deletes;

                canvas_printf(c, y++, 2, CR_NORMAL, "%zu file%s to write, %zu to remove, %zu command%s to run%s.", writes,
                              writes == 1 ? "" : "s", deletes, v->plan->n_commands, v->plan->n_commands == 1 ? "" : "s",
                              w->o.apply.regenerate ? "" : " (listed for you, not run)");
                y = canvas_wrap(c, y, 2, c->w - 4, CR_NORMAL,
                                "Every file is backed up first, written atomically, and put back if anything fails; "
                                "undo (here, or sudo vfio-setup undo) reverses it later.");
                /* What follows: the key, or why there is none (two rows) and what was written (one). */
                if (!w->sel.release)
                        y = draw_risks(v, c, y, bottom - (w->o.can_apply ? 2 : 4));
        }
        if (!w->o.can_apply) {
                y = canvas_wrap(c, y + 1, 2, c->w - 4, CR_WARNING, w->o.why_not ? w->o.why_not : "apply is not possible here");
                return canvas_wrap(c, y, 2, c->w - 4, CR_NORMAL, w->undo ? "Nothing was changed."
                                                                         : "The plan you reviewed is what would be written.");
        }
        canvas_text(c, y + 1, 2, CR_KEY, w->undo ? "Press y to undo, b to go back." : "Press y to apply, b to go back.");
        return y + 2;
}

/* What the apply or undo ended with: the outcome, where its journal and the commands' output are. */
static char *status_text(const struct wizard *w, const struct apply_view *v)
{
        const char *root = shown_root(w), *journal = w->session.journal, *out = w->session.result.output;
        char *text = NULL;
        int n = 0;

        if (v->phase == FAILED)
                n = asprintf(&text, "%s failed: %s\n%s%s%s%s%s%s\nEnter shows what to do now.", w->undo ? "Undo" : "Apply",
                             w->session.failure ? w->session.failure : "", journal ? "Journal: " : "",
                             journal ? root : "", journal ? journal : "", out ? "\nThe commands' output: " : "",
                             out ? root : "", out ? out : "");
        else if (v->phase == DONE)
                n = asprintf(&text, "%s%s%s%s\nEnter shows what comes next.", w->undo ? "Undone." : "Applied.",
                             journal ? " Journal: " : "", journal ? root : "", journal ? journal : "");
        return n < 0 ? NULL : text;
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct apply_view *v = priv;
        int y = top + 1, width = c->w - 4, rows = 0, room, skip;
        char *status;

        switch (v->phase) {
        case NOTHING:
                canvas_wrap(c, y, 2, width, v->why_not ? CR_WARNING : CR_OK,
                            v->why_not ? v->why_not : "Nothing to change: the machine is already set up this way.");
                return;
        case CONFIRM:
                draw_confirm(w, v, c, y, bottom);
                return;
        default:
                break;
        }
        status = status_text(w, v);
        room = bottom - y - 1 - (status ? canvas_wrap_rows(width, status) : 0);
        for (size_t i = 0; i < v->log.n; i++)
                rows += canvas_cut_rows(v->log.v[i], strlen(v->log.v[i]), width);
        /* The newest rows fill the room, or older ones as scrolled. */
        skip = rows > room ? rows - room - v->scroll : 0;
        for (size_t i = 0, row = 0; i < v->log.n && y < top + 1 + room; i++) {
                size_t len = strlen(v->log.v[i]);
                int n = canvas_cut_rows(v->log.v[i], len, width);

                for (int k = 0; k < n && y < top + 1 + room; k++, row++)
                        if ((int)row >= skip)
                                canvas_cut_draw(c, y++, 2, width, v->log.v[i][0] == ' ' ? CR_DIM : CR_NORMAL, v->log.v[i],
                                                len, k);
        }
        canvas_more_marks(c, top, top + 1 + room, skip > 0, v->scroll > 0);
        if (status)
                canvas_wrap(c, top + 2 + room, 2, width, v->phase == FAILED ? CR_PROBLEM : CR_OK, status);
        free(status);
}

static void run(struct wizard *w, struct apply_view *v)
{
        struct apply_options o = w->o.apply;
        int r;

        o.progress = progress;
        o.userdata = v;
        o.run.line = output;
        o.run.userdata = v;
        v->phase = RUNNING;
        session_free(&w->session);
        r = w->undo ? session_undo(w->sr, &o, SESSION_REDETECT, &w->session)
                    : session_apply(w->sr, v->plan, &o, SESSION_REDETECT, &w->session);
        if (w->session.failure && remedy_render_in_place(&w->session.failure, wizard_remedies) < 0)
                r = -ENOMEM;
        v->phase = r < 0 ? FAILED : DONE;
        w->outcome = r < 0 ? OUTCOME_FAILED : w->undo ? OUTCOME_UNDONE : v->plan->release ? OUTCOME_REMOVED
                   : v->plan->commit ? OUTCOME_COMMITTED : OUTCOME_APPLIED;
        w->trial = !w->undo && v->plan->trial;
        if (v->phase == DONE) {
                w->applied = true;
                if (w->session.by_hand.n)
                        strv_push(&v->log, w->o.demo ? "In this demo the commands are not run; on a real machine they would be:"
                                                     : "Run these by hand, in this order:");
                for (size_t i = 0; i < w->session.by_hand.n; i++)
                        strv_push(&v->log, w->session.by_hand.v[i]);
        }
        if (w->session.after) {
                machine_free(w->m);
                w->m = w->session.after;
                w->session.after = NULL;
        }
        /* Keys typed while it ran were typed blind. */
        w->began = true;
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct apply_view *v = priv;

        if (v->phase == CONFIRM && w->o.can_apply && (k == 'y' || k == 'Y')) {
                run(w, v);
                return STEP_STAY;
        }
        if (v->phase == DONE || v->phase == FAILED) {
                int rows = 0, page = (w->height ? w->height : 24) - 8;

                for (size_t i = 0; i < v->log.n; i++)
                        rows += canvas_cut_rows(v->log.v[i], strlen(v->log.v[i]), (w->width ? w->width : 80) - 4);
                /* Never further up than the log goes: Down must start to work at once. */
                if (list_move_from_end(&v->scroll, rows, page, k))
                        return STEP_HOLD;
                if (k == WK_ENTER || k == 'n')
                        return STEP_NEXT;
                if (v->phase == FAILED && !w->undo && (k == WK_BACKSPACE || k == WK_ESC)) {
                        /* Nothing stayed written: the choices can be changed and tried again. */
                        w->goto_step = STEP_REVIEW;
                        return STEP_GOTO;
                }
                return STEP_HOLD;
        }
        if (v->phase == NOTHING && !v->why_not && (k == WK_ENTER || k == 'n'))
                return STEP_NEXT;
        return STEP_STAY;
}

static const char *keys_now(const struct wizard *w, const void *priv)
{
        const struct apply_view *v = priv;

        switch (v->phase) {
        case CONFIRM:
                return w->o.can_apply ? (w->undo ? "y undo  b back" : "y apply  b back") : "b back";
        case RUNNING:
                return "running: keys wait until it ends";
        case NOTHING:
                return v->why_not ? "b back" : "Enter next  b back";
        case FAILED:
                return w->undo ? "Enter next  Up/Down PgUp/PgDn scroll the log"
                               : "Enter next  Up/Down PgUp/PgDn scroll the log  b back to the review";
        default:
                return "Enter next  Up/Down PgUp/PgDn scroll the log";
        }
}

const struct step_ops apply_step = {
        .title = "Apply",
        .help = "y writes the plan: a journal with copies of every file first, then each file atomically, then the "
                "regeneration commands with their output (kept in the journal's directory). If anything fails, every "
                "file is put back and read back to be sure; what a failing command made itself (a half-built boot "
                "image) is named, to run it again once its error is fixed. The log scrolls with Up/Down.",
        .keys_now = keys_now,
        .private_size = sizeof(struct apply_view),
        .enter = enter,
        .release = release,
        .draw = draw,
        .key = key,
};
