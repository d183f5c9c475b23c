/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "wizard_private.h"

struct goal_view {
        int cursor;             /* 0..count-1 goals, count: the iommu=pt option */
};

static const char *const goal_texts[_GOAL_MAX] = {
#define GOAL_TEXT(id, name, available, text) [GOAL_##id] = text,
        GOALS(GOAL_TEXT)
#undef GOAL_TEXT
};

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct goal_view *v = priv;
        int y = top + 1;
        enum goal g;

        (void)bottom;
        canvas_text(c, y++, 2, CR_NORMAL, "What is the guest for?");
        y++;
        for (int i = 0; i < _GOAL_MAX; i++) {
                bool available = goal_from_name(goal_name((enum goal)i), &g) == 0;
                char *line;

                if (asprintf(&line, "[%c] %-14s %s%s", w->sel.goals & (1u << i) ? 'x' : ' ', goal_name((enum goal)i),
                             goal_texts[i], available ? "" : "  (not yet available)") < 0)
                        continue;
                draw_item(c, y++, 2, c->w - 4, v->cursor == i, available ? CR_NORMAL : CR_DIM, line);
                free(line);
        }
        y++;
        draw_item(c, y++, 2, c->w - 4, v->cursor == _GOAL_MAX, CR_NORMAL,
                  w->sel.iommu_pt ? "[x] iommu=pt: host devices skip IOMMU translation (breaks AMD SEV-SNP)"
                                  : "[ ] iommu=pt: host devices skip IOMMU translation (breaks AMD SEV-SNP)");
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct goal_view *v = priv;
        enum goal g;

        if (k == WK_UP && v->cursor > 0)
                v->cursor--;
        else if (k == WK_DOWN && v->cursor < _GOAL_MAX)
                v->cursor++;
        else if (k == ' ' && v->cursor == _GOAL_MAX) {
                w->sel.iommu_pt = !w->sel.iommu_pt;
                w->changed = true;
        } else if (k == ' ' && v->cursor != GOAL_BASE && goal_from_name(goal_name((enum goal)v->cursor), &g) == 0) {
                w->sel.goals ^= 1u << v->cursor;
                w->changed = true;
        } else if (k == ' ')
                return STEP_STAY;
        return k == WK_ENTER ? STEP_NEXT : STEP_STAY;
}

const struct step_ops goal_step = {
        .title = "Goal",
        .help = "Plain passthrough binds the GPU to vfio-pci at boot; it is what every other goal builds on. "
                "Looking Glass, gaming tuning and disk passthrough come in later versions and are shown so that "
                "you know they are planned. Space toggles an option.",
        .private_size = sizeof(struct goal_view),
        .draw = draw,
        .key = key,
};
