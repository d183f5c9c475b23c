/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "wizard_private.h"

/* The plan, exactly as `vfio-setup plan` prints it for this selection, scrollable. */
struct review {
        struct plan *plan;
        char *text;             /* the plan, or why there is none */
        int refusal;            /* plan_build's refusal, 0 with a plan */
        int scroll, lines;
};

static int enter(struct wizard *w, void *priv)
{
        struct review *v = priv;
        char *reason = NULL;
        int r;

        r = plan_build(w->sr, w->m, &w->sel, &v->plan, &reason);
        if (plan_refused(r)) {
                v->refusal = r;
                if (asprintf(&v->text, "The plan is refused:\n%s\n\n%s", reason,
                             r == -VS_E_CONFIRM ? "Press d and v to pass the GPU anyway (--allow-dirty-group, "
                                                  "--allow-boot-vga), or go back (b) and choose another GPU."
                             : r == -VS_E_DIRTY_GROUP ? "Press d to pass the GPU anyway (--allow-dirty-group), or go back "
                                                        "and choose another GPU or extra devices."
                             : r == -VS_E_BOOT_VGA ? "Press v to pass it anyway (--allow-boot-vga), or go back (b) and "
                                                     "choose another GPU."
                                                   : "Go back (b) and change the choice.") < 0)
                        v->text = NULL;
                free(reason);
                return v->text ? 0 : -ENOMEM;
        }
        free(reason);
        if (r < 0)
                return r;
        free(w->libvirt_xml);
        w->libvirt_xml = NULL;
        r = v->plan->release ? 0 : plan_libvirt_xml(v->plan, &w->libvirt_xml);
        if (r >= 0)
                r = plan_to_text(v->plan, &v->text);
        for (const char *p = v->text; r >= 0 && p && *p; p++)
                v->lines += *p == '\n';
        w->plan_text = r >= 0 ? v->text : NULL;
        return r;
}

static void release(void *priv)
{
        struct review *v = priv;

        plan_free(v->plan);
        free(v->text);
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct review *v = priv;
        const char *p = v->text ? v->text : "";
        int line = 0, y = top;

        (void)w;
        if (v->refusal) {
                canvas_wrap(c, top + 1, 2, c->w - 4, CR_PROBLEM, p);
                return;
        }
        while (*p && y < bottom - 1) {
                size_t len = strcspn(p, "\n");

                if (line++ >= v->scroll) {
                        enum role_id role = p[0] == '+' ? CR_OK : p[0] == '-' ? CR_PROBLEM : p[0] == '@' ? CR_DIM : CR_NORMAL;
                        char *piece = strndup(p, len < (size_t)(c->w - 2) ? len : (size_t)(c->w - 2));

                        if (piece)
                                canvas_text(c, y++, 1, role, piece);
                        free(piece);
                }
                p += len + (p[len] == '\n');
        }
        canvas_printf(c, bottom - 1, 1, CR_DIM, "lines %d-%d of %d; Up/Down/PgUp/PgDn scroll; Enter goes on to apply",
                      v->scroll + 1, v->scroll + (y - top), v->lines);
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct review *v = priv;
        int page = 10;

        switch (k) {
        case WK_UP:
                v->scroll -= v->scroll > 0;
                return STEP_STAY;
        case WK_DOWN:
                v->scroll += v->scroll + 1 < v->lines;
                return STEP_STAY;
        case WK_PGUP:
                v->scroll = v->scroll > page ? v->scroll - page : 0;
                return STEP_STAY;
        case WK_PGDN:
                v->scroll = v->scroll + page < v->lines ? v->scroll + page : v->scroll;
                return STEP_STAY;
        case 'd':
        case 'v':
                /* The confirmations the refusal offered: plan again with them. */
                if (v->refusal != -VS_E_CONFIRM && v->refusal != (k == 'd' ? -VS_E_DIRTY_GROUP : -VS_E_BOOT_VGA))
                        return STEP_STAY;
                *(k == 'd' ? &w->sel.allow_dirty_group : &w->sel.allow_boot_vga) = true;
                w->goto_step = STEP_REVIEW;
                return STEP_GOTO;
        case WK_ENTER:
        case 'n':
                return v->refusal ? STEP_STAY : STEP_NEXT;
        default:
                return STEP_STAY;
        }
}

const struct step_ops review_step = {
        .title = "Review",
        .help = "The exact plan: for each file the lines that go and come (unified diff), new files in full, then "
                "the commands that regenerate the boot files, then warnings. It is what `vfio-setup plan` prints for "
                "the same choices. Nothing has been written yet.",
        .private_size = sizeof(struct review),
        .enter = enter,
        .release = release,
        .draw = draw,
        .key = key,
};
