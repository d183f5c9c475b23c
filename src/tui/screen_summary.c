/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wizard_private.h"

/*
 * The first screen when vfio-setup has been here before: what it set up, an
 * apply that did not finish, and what to do with them.
 */
enum choice { COMMIT, TRY_AGAIN, CHANGE_GPU, CHANGE_GOALS, REMOVE, UNDO, QUIT };

static const struct {
        const char *text;
        enum step_id target;
} choices[] = {
        [COMMIT] = { "Commit: make the setup the default for every boot", STEP_REVIEW },
        [TRY_AGAIN] = { "Try the trial once more at the next boot", STEP_REVIEW },
        [CHANGE_GPU] = { "Change the passthrough GPU", STEP_GPU },
        [CHANGE_GOALS] = { "Change the goals", STEP_GOAL },
        [REMOVE] = { "Remove passthrough (the review shows exactly what goes)", STEP_REVIEW },
        [UNDO] = { "Undo the last apply: put every file back as it was", STEP_APPLY },
        [QUIT] = { "Quit", _STEP_MAX },
};

struct summary {
        int cursor;
        enum choice offered[6];
        int n;
};

static int enter(struct wizard *w, void *priv)
{
        struct summary *v = priv;

        /*
         * A pending trial: committed (best from its own boot, where it was seen to work), or tried
         * again where the next boot does not start it already.
         */
        if (!w->pending.unfinished && w->m->vfio.tool.trial.n && w->m->boot_once.trial_booted)
                v->offered[v->n++] = COMMIT;
        else if (!w->pending.unfinished && w->m->vfio.tool.trial.n && !w->m->boot_once.trial_armed)
                v->offered[v->n++] = TRY_AGAIN;
        /* An apply cut short must be undone before anything else can be written. */
        if (!w->pending.unfinished && w->m->vfio.tool.present) {
                v->offered[v->n++] = CHANGE_GPU;
                v->offered[v->n++] = CHANGE_GOALS;
                v->offered[v->n++] = REMOVE;
        }
        if (w->has_pending)
                v->offered[v->n++] = UNDO;
        v->offered[v->n++] = QUIT;
        return 0;
}

static const char *text_of(const struct wizard *w, enum choice c)
{
        if (c == UNDO && w->m->vfio.tool.trial.n && !w->pending.unfinished)
                return "Undo the trial: remove its boot entry, and every file it wrote";
        return c == UNDO && w->pending.unfinished ? "Undo the unfinished apply: put back the files it changed"
                                                  : choices[c].text;
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct summary *v = priv;
        const struct tool_state *t = &w->m->vfio.tool;
        char *devices = strv_join(&t->devices, " "), *ids = strv_join(&t->ids, " "), *params = strv_join(&t->params, " ");
        char *goals = strv_join(&t->goals, " "), *lg = strv_join(&t->looking_glass, ", ");
        char *trial = strv_join(&t->trial, " ");
        int y = top + 1;

        if (w->pending.unfinished) {
                y = canvas_wrap(c, y, 2, c->w - 4, CR_PROBLEM, "An apply did not finish: it was stopped half-way (killed, "
                                                               "or the machine went down). Some files may hold the new "
                                                               "configuration and others the old one.");
                y = canvas_wrap(c, y, 2, c->w - 4, CR_NORMAL, "Undo puts back the files it had changed, from the copies its "
                                                              "journal took first. Nothing else can be applied before.");
                y++;
        }
        if (t->trial.n && w->m->boot_once.trial_booted)
                y = canvas_wrap(c, y, 2, c->w - 4, CR_OK, "This boot is the trial of the setup. If the host works as "
                                "it should (screen, keyboard, network), commit it; later boots start the old setup "
                                "until you do.") + 1;
        else if (t->trial.n && w->m->boot_once.trial_armed)
                y = canvas_wrap(c, y, 2, c->w - 4, CR_NORMAL, "A trial of the setup is pending: the next boot starts "
                                "it, once. On that boot, run the wizard again to commit it.") + 1;
        else if (t->trial.n)
                y = canvas_wrap(c, y, 2, c->w - 4, CR_WARNING, "A trial of the setup is pending, and this boot is not "
                                "it: the trial failed, was powered off, or came before this boot, and the next boot "
                                "does not start it.") + 1;
        if (t->present) {
                canvas_text(c, y++, 2, CR_NORMAL, "vfio-setup has set up passthrough on this machine:");
                canvas_printf(c, y++, 4, CR_OK, "devices:    %s", devices ? devices : "");
                if (t->single_gpu.n)
                        canvas_printf(c, y++, 4, CR_NORMAL, "mode:       single-GPU, with vfio-pci only while %s runs",
                                      t->single_gpu.v[0]);
                else if (t->handover.n)
                        canvas_printf(c, y++, 4, CR_NORMAL, "mode:       handover, with vfio-pci only while %s runs",
                                      t->handover.v[0]);
                else
                        canvas_printf(c, y++, 4, CR_NORMAL, "vfio ids:   %s", ids ? ids : "");
                if (t->trial.n)
                        canvas_printf(c, y++, 4, CR_NORMAL, "trial line: %s", trial ? trial : "");
                else
                        canvas_printf(c, y++, 4, CR_NORMAL, "parameters: %s", params && *params ? params : "none added");
                canvas_printf(c, y++, 4, CR_NORMAL, "goals:      base%s%s%s%s%s", goals && *goals ? " " : "",
                              goals ? goals : "", lg && *lg ? " (" : "", lg ? lg : "", lg && *lg ? ")" : "");
                for (size_t i = 0; i < w->m->vfio.n_ids && i < 4 && y < bottom - v->n - 3; i++)
                        canvas_printf(c, y++, 4, CR_DIM, "%s set in %s", w->m->vfio.ids[i].id, w->m->vfio.ids[i].source);
                for (size_t i = 0; i < w->m->vfio.bound.n && i < 4 && y < bottom - v->n - 3; i++)
                        canvas_printf(c, y++, 4, CR_DIM, "%s is bound to vfio-pci now", w->m->vfio.bound.v[i]);
        }
        y++;
        for (int i = 0; i < v->n; i++)
                draw_item(c, y++, 2, c->w - 4, v->cursor == i, CR_NORMAL, text_of(w, v->offered[i]));
        canvas_wrap(c, y + 1, 2, c->w - 4, CR_DIM, "Nothing is written until you press y on the Apply screen; q leaves.");
        free(devices);
        free(ids);
        free(params);
        free(goals);
        free(lg);
        free(trial);
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct summary *v = priv;
        enum choice c = v->offered[v->cursor];

        if (list_move(&v->cursor, v->n - 1, v->n, k))
                return STEP_HOLD;
        if (k == WK_ENTER || k == 'n') {
                if (c == QUIT)
                        return STEP_QUIT;
                w->undo = c == UNDO;
                w->sel.release = c == REMOVE;
                w->sel.no_trial = c == COMMIT;
                /* The trial's devices, confirmed when it was made. */
                if ((c == COMMIT || c == TRY_AGAIN) && selection_confirm_trial(&w->m->vfio.tool, &w->sel) < 0)
                        return STEP_HOLD;
                if ((c == CHANGE_GOALS || c == COMMIT || c == TRY_AGAIN) && !w->sel.gpu && w->m->vfio.tool.devices.n)
                        w->sel.gpu = strdup(w->m->vfio.tool.devices.v[0]);
                w->changed = c != UNDO;
                w->goto_step = choices[c].target;
                return STEP_GOTO;
        }
        return STEP_HOLD;
}

const struct step_ops summary_step = {
        .title = "Current setup",
        .help = "vfio-setup found its own setup (or an apply it did not finish) on this machine. A trial of it is "
                "committed from its own boot, or tried once more at the next boot; undo removes it. Change the GPU (the "
                "GPU screen starts on the current one), change the goals, remove passthrough (the review shows "
                "exactly what goes), or undo the last apply, which puts back every file it changed from the copies "
                "its journal keeps.",
        .keys = "Up/Down move  Enter choose",
        .keeps_view = true,
        .private_size = sizeof(struct summary),
        .enter = enter,
        .draw = draw,
        .key = key,
};
