/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/pciaddr.h"
#include "vfio-setup/users.h"
#include "wizard_private.h"

static const struct step_ops *const steps[_STEP_MAX] = {
        [STEP_SUMMARY] = &summary_step, [STEP_HARDWARE] = &hardware_step, [STEP_BIOS] = &bios_step,
        [STEP_GPU] = &gpu_step,         [STEP_BOOT] = &boot_step,         [STEP_GOAL] = &goal_step,
        [STEP_REVIEW] = &review_step,   [STEP_APPLY] = &apply_step,       [STEP_DONE] = &done_step,
};

static const char *const general_help =
        "Keys: Up/Down or j/k move, Enter or Space choose, Tab switches panes, n or Enter goes on, "
        "b, Backspace or Esc goes back, ? shows this help, q quits.";

enum role_id severity_role_of(enum severity s)
{
        static const enum role_id roles[] = {
                [SEVERITY_INFO] = CR_DIM, [SEVERITY_OK] = CR_OK, [SEVERITY_WARNING] = CR_WARNING, [SEVERITY_PROBLEM] = CR_PROBLEM,
        };
        return roles[s];
}

int draw_findings(const struct wizard *w, struct canvas *c, int y, int bottom, enum section s)
{
        for (size_t i = 0; i < w->findings.n && y < bottom; i++) {
                const struct finding *f = &w->findings.v[i];

                if (f->section != s)
                        continue;
                canvas_printf(c, y, 2, severity_role_of(f->severity), "%-8s", severity_label(f->severity));
                y = canvas_wrap(c, y, 11, c->w - 13, CR_NORMAL, f->text);
                if (f->advice && y < bottom)
                        y = canvas_wrap(c, y, 13, c->w - 15, CR_DIM, f->advice);
        }
        return y;
}

void draw_item(struct canvas *c, int y, int x, int width, bool selected, enum role_id role, const char *text)
{
        enum role_id r = selected ? CR_SELECTED : role;
        char *cut = strndup(text, width > 2 ? (size_t)(width - 2) : 0);

        if (selected)
                canvas_fill(c, y, x, 1, width, CR_SELECTED);
        canvas_text(c, y, x, r, selected ? ">" : " ");
        if (cut)
                canvas_text(c, y, x + 2, r, cut);
        free(cut);
}

static void drop(struct wizard *w, enum step_id s)
{
        if (w->priv[s] && steps[s]->release)
                steps[s]->release(w->priv[s]);
        free(w->priv[s]);
        w->priv[s] = NULL;
}

static int enter(struct wizard *w, enum step_id s)
{
        int r;

        drop(w, s);
        w->priv[s] = calloc(1, steps[s]->private_size ? steps[s]->private_size : 1);
        if (!w->priv[s])
                return -ENOMEM;
        w->step = s;
        r = steps[s]->enter ? steps[s]->enter(w, w->priv[s]) : 0;
        free(w->error);
        w->error = NULL;
        if (r < 0 && asprintf(&w->error, "this step could not be prepared: %s", strerror(-r)) < 0)
                w->error = NULL;
        return r;
}

static void go(struct wizard *w, enum step_id s)
{
        if (w->depth < sizeof(w->history) / sizeof(w->history[0]))
                w->history[w->depth++] = w->step;
        enter(w, s);
}

/*
 * A re-run starts from what vfio-setup recorded: the goals with their settings, and the
 * devices beyond the GPU's slot (controllers chosen before), so that changing the GPU keeps
 * them.  --lg-* and --vm-* options on the command line win.
 */
static int restore_goals(struct wizard *w)
{
        const struct tool_state *t = &w->m->vfio.tool;
        struct looking_glass *lg = &w->sel.lg;
        unsigned width, height, slot[4], other[4];
        enum goal g;
        int r = 0;

        if (t->devices.n && pci_address_parse(t->devices.v[0], &slot[0], &slot[1], &slot[2], &slot[3]) == 0)
                for (size_t i = 1; i < t->devices.n && r >= 0; i++)
                        if (pci_address_parse(t->devices.v[i], &other[0], &other[1], &other[2], &other[3]) == 0 &&
                            (other[0] != slot[0] || other[1] != slot[1] || other[2] != slot[2]))
                                r = strv_push(&w->sel.extra, t->devices.v[i]);
        for (size_t i = 0; i < t->disks.n && r >= 0; i++)
                r = strv_push(&w->sel.disks, t->disks.v[i]);
        if (r < 0)
                return r;

        for (size_t i = 0; i < t->goals.n; i++)
                if (goal_from_name(t->goals.v[i], &g) == 0)
                        w->sel.goals |= 1u << g;
        if (t->vm.n == 2) {
                if (!w->sel.vm.memory_mib)
                        w->sel.vm.memory_mib = strtoul(t->vm.v[0], NULL, 10);
                if (!w->sel.vm.cpus)
                        w->sel.vm.cpus = (unsigned)strtoul(t->vm.v[1], NULL, 10);
        }
        if (t->looking_glass.n < 3)
                return 0;
        if (!lg->width && sscanf(t->looking_glass.v[0], "%ux%u", &width, &height) == 2) {
                lg->width = width;
                lg->height = height;
        }
        lg->kvmfr = lg->kvmfr || strcmp(t->looking_glass.v[1], "kvmfr") == 0;
        lg->hdr = lg->hdr || (t->looking_glass.n > 3 && strcmp(t->looking_glass.v[3], "hdr") == 0);
        if (!lg->user && !(lg->user = strdup(t->looking_glass.v[2])))
                return -ENOMEM;
        return 0;
}

int wizard_new(const struct sysroot *sr, struct machine *m, const struct wizard_options *o, struct wizard **ret)
{
        struct wizard *w = calloc(1, sizeof(*w));
        int r;

        if (!w) {
                machine_free(m);
                return -ENOMEM;
        }
        w->sr = sr;
        w->m = m;
        w->o = *o;
        w->sel = (struct selection){ .bootloader = -1, .initramfs = -1, .goals = 1u << GOAL_BASE, .lg = o->lg,
                                    .vm = o->vm };
        w->o.lg.user = NULL;
        w->sel.lg.user = o->lg.user ? strdup(o->lg.user) : NULL;
        if (o->lg.user && !w->sel.lg.user) {
                wizard_free(w);
                return -ENOMEM;
        }
        r = restore_goals(w);
        if (r >= 0 && !w->sel.lg.user && o->default_user && !(w->sel.lg.user = strdup(o->default_user)))
                r = -ENOMEM;
        if (r >= 0)
                r = local_users(sr, &w->users);
        if (r >= 0)
                r = findings_build(m, &w->findings);
        /* Re-run: what is set up comes first, with the ways to change it. */
        if (r >= 0)
                r = enter(w, m->vfio.tool.present ? STEP_SUMMARY : STEP_HARDWARE);
        if (r < 0) {
                wizard_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

void wizard_free(struct wizard *w)
{
        if (!w)
                return;
        for (int s = 0; s < _STEP_MAX; s++)
                drop(w, (enum step_id)s);
        findings_free(&w->findings);
        selection_free(&w->sel);
        machine_free(w->m);
        free(w->error);
        free(w->libvirt_xml);
        strv_free(&w->users);
        free(w);
}

bool wizard_finished(const struct wizard *w)
{
        return w->finished;
}

const char *wizard_plan_text(const struct wizard *w)
{
        return w->step == STEP_REVIEW ? w->plan_text : NULL;
}

static void header(const struct wizard *w, struct canvas *c)
{
        int shown = 0, index = 0;

        for (int s = STEP_HARDWARE; s < _STEP_MAX; s++) {
                shown++;
                if ((int)w->step == s)
                        index = shown;
        }
        canvas_fill(c, 0, 0, 1, c->w, CR_TITLE);
        if (w->step == STEP_SUMMARY)
                canvas_printf(c, 0, 1, CR_TITLE, "vfio-setup%s  %s", w->o.demo ? " (demo)" : "", steps[w->step]->title);
        else
                canvas_printf(c, 0, 1, CR_TITLE, "vfio-setup%s  %d/%d %s", w->o.demo ? " (demo)" : "", index, shown,
                              steps[w->step]->title);
        canvas_hline(c, 1, 0, c->w);
}

static void footer(const struct wizard *w, struct canvas *c)
{
        canvas_hline(c, c->h - 2, 0, c->w);
        if (w->asking_quit)
                canvas_text(c, c->h - 1, 1, CR_WARNING, "Quit without applying your choices? y quits, any other key stays");
        else
                canvas_text(c, c->h - 1, 1, CR_KEY, "Enter continue  b back  Tab pane  ? help  q quit");
}

static void help_box(const struct wizard *w, struct canvas *c)
{
        int width = c->w - 8, top = 4, y;

        canvas_fill(c, top, 4, c->h - 8, width, CR_NORMAL);
        canvas_box(c, top, 4, c->h - 8, width);
        canvas_printf(c, top, 6, CR_TITLE, " Help: %s ", steps[w->step]->title);
        y = canvas_wrap(c, top + 2, 6, width - 4, CR_NORMAL, steps[w->step]->help);
        canvas_wrap(c, y + 1, 6, width - 4, CR_DIM, general_help);
        canvas_text(c, c->h - 6, 6, CR_KEY, "any key closes this help");
}

void wizard_draw(struct wizard *w, struct canvas *c)
{
        canvas_clear(c);
        if (c->w < WIZARD_MIN_W || c->h < WIZARD_MIN_H) {
                canvas_printf(c, 0, 0, CR_WARNING, "terminal too small: %dx%d, need %dx%d", c->w, c->h, WIZARD_MIN_W,
                              WIZARD_MIN_H);
                return;
        }
        header(w, c);
        if (w->error)
                canvas_wrap(c, 3, 2, c->w - 4, CR_PROBLEM, w->error);
        else
                steps[w->step]->draw(w, w->priv[w->step], c, 2, c->h - 2);
        footer(w, c);
        if (w->help)
                help_box(w, c);
}

static enum wizard_key normal(int key)
{
        switch (key) {
        case 'k':
                return WK_UP;
        case 'j':
                return WK_DOWN;
        case '\n':
        case '\r':
        case ' ':
                return WK_ENTER;
        case '\t':
                return WK_TAB;
        case 127:
        case 8:
        case 'b':
                return WK_BACKSPACE;
        case 27:
                return WK_ESC;
        default:
                return (enum wizard_key)key;
        }
}

void wizard_key(struct wizard *w, int key)
{
        enum step_result r;
        int k;

        if (w->help) {
                w->help = false;
                return;
        }
        if (w->asking_quit) {
                w->asking_quit = false;
                w->finished = key == 'y' || key == 'Y';
                return;
        }
        if (key == '?') {
                w->help = true;
                return;
        }
        if (key == 'q' || key == 'Q') {
                if (w->changed && !w->applied)
                        w->asking_quit = true;
                else
                        w->finished = true;
                return;
        }
        k = normal(key);
        /* Space chooses like Enter, but a screen with toggles sees it as itself. */
        r = steps[w->step]->key(w, w->priv[w->step], key == ' ' ? ' ' : k);
        if (r == STEP_STAY && (k == WK_BACKSPACE || k == WK_ESC))
                r = STEP_BACK;
        /* Space is Enter only where the screen has nothing to toggle with it. */
        if (r == STEP_STAY && (k == 'n' || (k == WK_ENTER && key != ' ')) && w->step < STEP_REVIEW)
                r = STEP_NEXT;
        switch (r) {
        case STEP_STAY:
                break;
        case STEP_NEXT:
                go(w, w->step == STEP_SUMMARY ? STEP_GPU : w->step + 1);
                break;
        case STEP_GOTO:
                go(w, w->goto_step);
                break;
        case STEP_BACK:
                /* Once files are written, the way back is undo, not the previous screen. */
                if (w->depth > 0 && !w->applied)
                        enter(w, w->history[--w->depth]);
                break;
        case STEP_QUIT:
                w->finished = true;
                break;
        }
}
