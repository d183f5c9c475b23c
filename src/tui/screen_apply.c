/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "wizard_private.h"

enum apply_phase { CONFIRM, RUNNING, APPLIED, FAILED, NOTHING };

struct apply_view {
        enum apply_phase phase;
        struct plan *plan;
        struct strv log;        /* progress and command output, as it came */
        char *failed;
        struct wizard *w;       /* for the progress callbacks */
};

static int enter(struct wizard *w, void *priv)
{
        struct apply_view *v = priv;
        char *reason = NULL;
        int r;

        v->w = w;
        /* The same plan review showed: made again from the same machine and choices. */
        r = plan_build(w->sr, w->m, &w->sel, &v->plan, &reason);
        free(reason);
        if (r < 0)
                return r;
        v->phase = plan_empty(v->plan) ? NOTHING : CONFIRM;
        return 0;
}

static void release(void *priv)
{
        struct apply_view *v = priv;

        plan_free(v->plan);
        strv_free(&v->log);
        free(v->failed);
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

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct apply_view *v = priv;
        int y = top + 1;
        size_t first;

        switch (v->phase) {
        case NOTHING:
                canvas_wrap(c, y, 2, c->w - 4, CR_OK, "Nothing to change: the machine is already set up this way.");
                return;
        case CONFIRM:
                if (!w->o.can_apply) {
                        y = canvas_wrap(c, y, 2, c->w - 4, CR_WARNING, w->o.why_not ? w->o.why_not : "apply is not possible here");
                        canvas_wrap(c, y + 1, 2, c->w - 4, CR_NORMAL,
                                    "The plan you reviewed is what would be written. Run the wizard as root to apply it.");
                        return;
                }
                canvas_printf(c, y++, 2, CR_NORMAL, "%zu file%s to write, %zu command%s to run%s.", v->plan->n_files,
                              v->plan->n_files == 1 ? "" : "s", v->plan->n_commands, v->plan->n_commands == 1 ? "" : "s",
                              w->o.apply.regenerate ? "" : " (listed for you, not run)");
                y = canvas_wrap(c, y + 1, 2, c->w - 4, CR_NORMAL,
                                "Every file is backed up first, written atomically, and put back if anything fails; "
                                "vfio-setup undo reverses it later.");
                canvas_text(c, y + 1, 2, CR_KEY, "Press y to apply, b to go back.");
                return;
        default:
                break;
        }
        /* The newest lines of the log fill the screen. */
        first = v->log.n > (size_t)(bottom - top - 4) ? v->log.n - (size_t)(bottom - top - 4) : 0;
        for (size_t i = first; i < v->log.n && y < bottom - 3; i++)
                canvas_text(c, y++, 2, v->log.v[i][0] == ' ' ? CR_DIM : CR_NORMAL, v->log.v[i]);
        if (v->phase == APPLIED)
                canvas_text(c, bottom - 2, 2, CR_OK, "Applied. Enter shows what comes next.");
        else if (v->phase == FAILED)
                canvas_wrap(c, bottom - 3, 2, c->w - 4, CR_PROBLEM, v->failed ? v->failed : "apply failed");
}

static void run(struct wizard *w, struct apply_view *v)
{
        struct apply_options o = w->o.apply;
        struct apply_result res;
        struct machine *m;
        int r;

        o.progress = progress;
        o.userdata = v;
        o.run.line = output;
        o.run.userdata = v;
        v->phase = RUNNING;
        r = apply_plan(w->sr, v->plan, &o, &res);
        if (r < 0) {
                v->phase = FAILED;
                if (apply_outcome(r, &res, &v->failed) < 0)
                        v->failed = NULL;
        } else {
                v->phase = APPLIED;
                w->applied = true;
                if (!o.regenerate && v->plan->n_commands)
                        strv_push(&v->log, w->o.demo ? "In this demo the commands are not run; on a real machine they would be:"
                                                     : "Run these by hand, in this order:");
                for (size_t i = 0; !o.regenerate && i < v->plan->n_commands; i++)
                        strv_consume(&v->log, strv_join(&v->plan->commands[i], " "));
                /* What follows (done, a re-run) speaks of the machine as it is now. */
                if (detect_machine(w->sr, &m) >= 0) {
                        machine_free(w->m);
                        w->m = m;
                }
        }
        apply_result_free(&res);
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct apply_view *v = priv;

        if (v->phase == CONFIRM && w->o.can_apply && (k == 'y' || k == 'Y')) {
                run(w, v);
                return STEP_STAY;
        }
        if ((v->phase == APPLIED || v->phase == NOTHING) && (k == WK_ENTER || k == 'n'))
                return STEP_NEXT;
        if (v->phase == FAILED && (k == WK_BACKSPACE || k == WK_ESC)) {
                w->goto_step = STEP_REVIEW;
                return STEP_GOTO;
        }
        return STEP_STAY;
}

const struct step_ops apply_step = {
        .title = "Apply",
        .help = "y writes the plan: a journal with copies of every file first, then each file atomically, then the "
                "regeneration commands with their output. If anything fails, every file is put back.",
        .private_size = sizeof(struct apply_view),
        .enter = enter,
        .release = release,
        .draw = draw,
        .key = key,
};
