/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wizard_private.h"

/* A re-run: what vfio-setup set up, and what to do with it. */
static const struct {
        const char *text;
        enum step_id target;
} choices[] = {
        { "Change the passthrough GPU", STEP_GPU },
        { "Change the goals", STEP_GOAL },
        { "Remove passthrough (vfio-setup plan --release)", STEP_REVIEW },
        { "Quit", _STEP_MAX },
};

struct summary {
        int cursor;
};

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct summary *v = priv;
        const struct tool_state *t = &w->m->vfio.tool;
        char *devices = strv_join(&t->devices, " "), *ids = strv_join(&t->ids, " "), *params = strv_join(&t->params, " ");
        char *goals = strv_join(&t->goals, " "), *lg = strv_join(&t->looking_glass, ", ");
        int y = top + 1;

        (void)bottom;
        canvas_text(c, y++, 2, CR_NORMAL, "vfio-setup has set up passthrough on this machine:");
        canvas_printf(c, y++, 4, CR_OK, "devices:    %s", devices ? devices : "");
        canvas_printf(c, y++, 4, CR_NORMAL, "vfio ids:   %s", ids ? ids : "");
        canvas_printf(c, y++, 4, CR_NORMAL, "parameters: %s", params && *params ? params : "none added");
        canvas_printf(c, y++, 4, CR_NORMAL, "goals:      base%s%s%s%s%s", goals && *goals ? " " : "", goals ? goals : "",
                      lg && *lg ? " (" : "", lg ? lg : "", lg && *lg ? ")" : "");
        for (size_t i = 0; i < w->m->vfio.n_ids && i < 4; i++)
                canvas_printf(c, y++, 4, CR_DIM, "%s set in %s", w->m->vfio.ids[i].id, w->m->vfio.ids[i].source);
        for (size_t i = 0; i < w->m->vfio.bound.n && i < 4; i++)
                canvas_printf(c, y++, 4, CR_DIM, "%s is bound to vfio-pci now", w->m->vfio.bound.v[i]);
        y++;
        for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
                draw_item(c, y++, 2, c->w - 4, v->cursor == (int)i, CR_NORMAL, choices[i].text);
        free(devices);
        free(ids);
        free(params);
        free(goals);
        free(lg);
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct summary *v = priv;
        int n = (int)(sizeof(choices) / sizeof(choices[0]));

        if (k == WK_UP && v->cursor > 0)
                v->cursor--;
        else if (k == WK_DOWN && v->cursor + 1 < n)
                v->cursor++;
        else if (k == WK_ENTER || k == 'n') {
                if (choices[v->cursor].target == _STEP_MAX)
                        return STEP_QUIT;
                w->sel.release = choices[v->cursor].target == STEP_REVIEW;
                if (!w->sel.release && !w->sel.gpu && w->m->vfio.tool.devices.n)
                        w->sel.gpu = strdup(w->m->vfio.tool.devices.v[0]);
                w->changed = true;
                w->goto_step = choices[v->cursor].target;
                return STEP_GOTO;
        }
        return STEP_STAY;
}

const struct step_ops summary_step = {
        .title = "Current setup",
        .help = "vfio-setup found its own setup on this machine. Change the GPU (the GPU screen starts on the "
                "current one), change the goals, or remove passthrough: the review shows exactly what goes.",
        .private_size = sizeof(struct summary),
        .draw = draw,
        .key = key,
};
