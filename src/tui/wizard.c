/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/users.h"
#include "remedies.h"
#include "wizard_private.h"

static const struct step_ops *const steps[_STEP_MAX] = {
        [STEP_SUMMARY] = &summary_step, [STEP_HARDWARE] = &hardware_step, [STEP_BIOS] = &bios_step,
        [STEP_GPU] = &gpu_step,         [STEP_BOOT] = &boot_step,         [STEP_GOAL] = &goal_step,
        [STEP_REVIEW] = &review_step,   [STEP_APPLY] = &apply_step,       [STEP_DONE] = &done_step,
};

static const char *const general_help =
        "Keys: Up/Down or j/k move, Enter or n goes on, b, Backspace or Esc goes back, ? shows this help, q quits. "
        "The line at the bottom lists the keys of each screen. Nothing is written to the machine until you press "
        "y on the Apply screen.";

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

static int push_flag(struct strv *v, const char *flag, const char *value)
{
        return value ? strv_pushf(v, "%s %s", flag, value) : strv_push(v, flag);
}

char *selection_command(const struct wizard *w)
{
        const struct selection *s = &w->sel;
        struct strv v = { 0 };
        unsigned width, height;
        char *out;
        int r = strv_pushf(&v, "%s apply", w->o.invocation ? w->o.invocation : "sudo vfio-setup");

        if (s->release) {
                if (r >= 0)
                        r = strv_push(&v, "--release");
                goto done;
        }
        if (r >= 0 && s->gpu)
                r = push_flag(&v, "--gpu", s->gpu);
        for (size_t i = 0; r >= 0 && i < s->more_gpus.n; i++)
                r = push_flag(&v, "--gpu", s->more_gpus.v[i]);
        for (size_t i = 0; r >= 0 && i < s->extra.n; i++)
                r = push_flag(&v, "--extra", s->extra.v[i]);
        for (int g = GOAL_BASE + 1; r >= 0 && g < _GOAL_MAX; g++)
                if (s->goals & (1u << g))
                        r = push_flag(&v, "--goal", goal_name((enum goal)g));
        if (r >= 0 && (s->goals & (1u << GOAL_LOOKING_GLASS))) {
                looking_glass_resolution(&s->lg, &width, &height);
                r = strv_pushf(&v, "--lg-resolution %ux%u", width, height);
                if (r >= 0 && s->lg.hdr)
                        r = push_flag(&v, "--lg-bit-depth", "10");
                if (r >= 0 && s->lg.kvmfr)
                        r = push_flag(&v, "--lg-kvmfr", NULL);
                if (r >= 0 && s->lg.user)
                        r = push_flag(&v, "--lg-user", s->lg.user);
        }
        if (r >= 0 && (s->goals & (1u << GOAL_GAMING)) && s->vm.memory_mib)
                r = strv_pushf(&v, "--vm-memory %luM", s->vm.memory_mib);
        if (r >= 0 && (s->goals & (1u << GOAL_GAMING)) && s->vm.cpus)
                r = strv_pushf(&v, "--vm-cpus %u", s->vm.cpus);
        for (size_t i = 0; r >= 0 && (s->goals & (1u << GOAL_STORAGE)) && i < s->disks.n; i++)
                r = push_flag(&v, "--disk", s->disks.v[i]);
        if (r >= 0 && s->iommu_pt)
                r = push_flag(&v, "--iommu-pt", NULL);
        if (r >= 0 && s->allow_dirty_group)
                r = push_flag(&v, "--allow-dirty-group", NULL);
        if (r >= 0 && s->allow_boot_vga)
                r = push_flag(&v, "--allow-boot-vga", NULL);
        for (size_t i = 0; r >= 0 && i < s->allow_host.n; i++)
                r = push_flag(&v, "--allow-host-device", s->allow_host.v[i]);
        if (r >= 0 && s->single_gpu)
                r = push_flag(&v, "--single-gpu", s->single_gpu);
        if (r >= 0 && s->handover)
                r = push_flag(&v, "--handover", s->handover);
        if (r >= 0 && s->no_trial)
                r = push_flag(&v, "--no-trial", NULL);
        if (r >= 0 && s->bootloader >= 0)
                r = push_flag(&v, "--bootloader", bootloader_name((enum bootloader_kind)s->bootloader));
        if (r >= 0 && s->initramfs >= 0)
                r = push_flag(&v, "--initramfs", initramfs_name((enum initramfs_kind)s->initramfs));
done:
        out = r >= 0 ? strv_join(&v, " ") : NULL;
        strv_free(&v);
        return out;
}

void draw_item(struct canvas *c, int y, int x, int width, bool selected, enum role_id role, const char *text)
{
        enum role_id r = selected ? CR_SELECTED : role;
        /* Its own box: a text longer than the row is cut with the mark, never beyond. */
        struct canvas_rect before = c->clip;

        canvas_clip(c, y, x, 1, width);
        if (selected)
                canvas_fill(c, y, x, 1, width, CR_SELECTED);
        canvas_text(c, y, x, r, selected ? ">" : " ");
        canvas_text(c, y, x + 2, r, text);
        canvas_unclip(c, before);
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

        w->began = true;
        w->help_scroll = w->body_scroll = 0;
        if (steps[s]->keeps_view && w->priv[s]) {
                w->step = s;
                free(w->error);
                w->error = NULL;
                return 0;
        }
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
        /* A re-run starts from what vfio-setup recorded; the GPU is chosen again on its screen. */
        r = selection_from_state(&m->vfio.tool, &w->sel);
        free(w->sel.gpu);
        w->sel.gpu = NULL;
        if (r >= 0 && !w->sel.lg.user && o->default_user && !(w->sel.lg.user = strdup(o->default_user)))
                r = -ENOMEM;
        if (r >= 0)
                r = local_users(sr, &w->users);
        /* Without sudo nobody is known to run the client: the first who logs in, shown and changeable on its row. */
        if (r >= 0 && !w->sel.lg.user && w->users.n && !(w->sel.lg.user = strdup(w->users.v[0])))
                r = -ENOMEM;
        if (r >= 0)
                r = findings_build(m, &w->findings);
        if (r >= 0)
                r = findings_word(&w->findings, wizard_remedies);
        /*
         * Whether there is an apply to undo; a journal that cannot be read now (locked, damaged)
         * offers none.  Only where journals are: looking takes the lock, whose file nothing
         * should create before Apply.
         */
        if (r >= 0 && sysroot_is_dir(sr, JOURNAL_DIR)) {
                char *reason = NULL;

                w->has_pending = undo_pending(sr, &w->pending, &reason) == 0;
                free(reason);
        }
        /* Re-run, or an apply cut short: what is there comes first, with the ways to change it. */
        if (r >= 0)
                r = enter(w, m->vfio.tool.present || w->pending.unfinished ? STEP_SUMMARY : STEP_HARDWARE);
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
        free(w->libvirt_domain);
        strv_free(&w->more_domains);
        session_free(&w->session);
        free(w->plan_text);
        undo_preview_free(&w->pending);
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
        const char *title = w->step == STEP_APPLY && w->undo ? "Undo" : steps[w->step]->title;

        canvas_fill(c, 0, 0, 1, c->w, CR_TITLE);
        if (w->step == STEP_SUMMARY)
                canvas_printf(c, 0, 1, CR_TITLE, "vfio-setup%s  %s", w->o.demo ? " (demo)" : "", title);
        else
                canvas_printf(c, 0, 1, CR_TITLE, "vfio-setup%s  %d/%d %s", w->o.demo ? " (demo)" : "", index, shown, title);
        canvas_hline(c, 1, 0, c->w);
}

const char *shown_root(const struct wizard *w)
{
        return strcmp(sysroot_dir(w->sr), "/") == 0 ? "" : sysroot_dir(w->sr);
}

/* The step's keys, as many as fit, then back (where the step has it), help and quit, which always do. */
static void footer(const struct wizard *w, struct canvas *c)
{
        const struct step_ops *st = steps[w->step];
        const char *keys = w->error ? "b back" : st->keys_now ? st->keys_now(w, w->priv[w->step]) : st->keys;
        const char *tail = keys && strstr(keys, "b back") ? "b back  ? help  q quit" : "? help  q quit";
        int x = 1, room = c->w - 2 - (int)strlen(tail);

        canvas_hline(c, c->h - 2, 0, c->w);
        if (w->asking_quit) {
                canvas_text(c, c->h - 1, 1, CR_WARNING, "Quit without applying your choices? y quits, any other key stays");
                return;
        }
        for (const char *p = keys ? keys : ""; *p;) {
                const char *end = strstr(p, "  ");
                size_t len = end ? (size_t)(end - p) : strlen(p);
                char *item = strndup(p, len);

                if (!item || x + (int)len + 2 > room) {
                        free(item);
                        break;
                }
                if (strcmp(item, "b back") != 0) {
                        canvas_text(c, c->h - 1, x, CR_KEY, item);
                        x += (int)len + 2;
                }
                free(item);
                p += len;
                p += strspn(p, " ");
        }
        canvas_text(c, c->h - 1, x, CR_KEY, tail);
}

static char *help_text(const struct wizard *w)
{
        char *text;

        if (asprintf(&text, "%s\n\n%s", steps[w->step]->help, general_help) < 0)
                return NULL;
        return text;
}

/* How far the help scrolls at the last drawing's size (help_box's inner width and room). */
static int help_last(const struct wizard *w)
{
        char *text = help_text(w);
        int rows = text ? canvas_wrap_rows((w->width ? w->width : 80) - 10, text) : 0;

        free(text);
        return rows - ((w->height ? w->height : 24) - 9);
}

/* The help fills the screen's middle; what does not fit scrolls. */
static void help_box(struct wizard *w, struct canvas *c)
{
        int top = 3, left = 3, width = c->w - 6, height = c->h - 6, inner = width - 4, room = height - 3, rows;
        char *text = help_text(w);
        struct canvas sub;

        if (!text)
                return;
        rows = canvas_wrap_rows(inner, text);
        if (w->help_scroll > rows - room)
                w->help_scroll = rows > room ? rows - room : 0;
        /* The rows it covers are cleared whole: no word of the screen shows half beside it. */
        canvas_fill(c, top, 0, height, c->w, CR_NORMAL);
        canvas_box(c, top, left, height, width);
        canvas_printf(c, top, left + 2, CR_TITLE, " Help: %s ", steps[w->step]->title);
        /* Drawn whole on a canvas of its own, then the visible rows copied: a wrap is never cut mid-row. */
        if (canvas_init(&sub, inner, rows) == 0) {
                canvas_wrap(&sub, 0, 0, inner, CR_NORMAL, text);
                for (int y = 0; y < room && w->help_scroll + y < rows; y++)
                        for (int x = 0; x < inner; x++) {
                                size_t from = (size_t)((w->help_scroll + y) * inner + x);

                                c->ch[(top + 1 + y) * c->w + left + 2 + x] = sub.ch[from];
                                c->role[(top + 1 + y) * c->w + left + 2 + x] = sub.role[from];
                        }
                canvas_free(&sub);
        }
        canvas_text(c, top + height - 2, left + 2, CR_KEY,
                    rows > room ? "Up/Down scroll  any other key closes this help" : "any key closes this help");
        /* On the box's own border, where they cover no text. */
        if (w->help_scroll > 0)
                canvas_more(c, top, left + width - 16, false);
        if (w->help_scroll + room < rows)
                canvas_more(c, top + height - 1, left + width - 16, true);
        free(text);
}

static void draw_step_whole(struct canvas *c, const void *data)
{
        const struct wizard *w = data;

        steps[w->step]->draw(w, w->priv[w->step], c, 0, c->h);
}

void wizard_draw(struct wizard *w, struct canvas *c)
{
        struct canvas_rect whole;

        canvas_clear(c);
        w->width = c->w;
        w->height = c->h;
        w->too_small = c->w < WIZARD_MIN_W || c->h < WIZARD_MIN_H;
        if (w->too_small) {
                char *text;
                int y = canvas_wrap(c, 0, 0, c->w, CR_WARNING, "terminal too small");

                if (asprintf(&text, "%dx%d, need %dx%d; keys wait until it is larger", c->w, c->h, WIZARD_MIN_W,
                             WIZARD_MIN_H) >= 0) {
                        canvas_wrap(c, y, 0, c->w, CR_NORMAL, text);
                        free(text);
                }
                return;
        }
        /* Each part in its own box: a screen's text never reaches the header or the footer. */
        whole = canvas_clip(c, 0, 0, 2, c->w);
        header(w, c);
        canvas_unclip(c, whole);
        canvas_clip(c, 2, 0, c->h - 4, c->w);
        if (w->error)
                canvas_wrap(c, 3, 2, c->w - 4, CR_PROBLEM, w->error);
        else if (steps[w->step]->scrolls) {
                w->body_room = c->h - 4;
                w->body_rows = canvas_scrolled(c, 2, w->body_room, w->body_scroll, draw_step_whole, w,
                                               CANVAS_SCROLL_KEYS);
        } else
                steps[w->step]->draw(w, w->priv[w->step], c, 2, c->h - 2);
        canvas_unclip(c, whole);
        canvas_clip(c, c->h - 2, 0, 2, c->w);
        footer(w, c);
        canvas_unclip(c, whole);
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

bool wizard_failed(const struct wizard *w)
{
        return w->outcome == OUTCOME_FAILED;
}

bool wizard_step_began(struct wizard *w)
{
        bool began = w->began;

        w->began = false;
        return began;
}

void wizard_key(struct wizard *w, int key)
{
        enum step_result r;
        int k;

        /* What cannot be seen is not acted on: a key typed blind could apply the plan. */
        if (w->too_small)
                return;
        if (w->help) {
                int k2 = normal(key);

                if (!list_move(&w->help_scroll, help_last(w), (w->height ? w->height : 24) - 9, k2))
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
                w->help_scroll = 0;
                return;
        }
        if (key == 'q' || key == 'Q') {
                /* Once an apply ran (and failed, or was put back), quitting loses no choice of a file. */
                if (w->changed && !w->applied && w->outcome == OUTCOME_NONE)
                        w->asking_quit = true;
                else
                        w->finished = true;
                /* Leaving before Done after an apply: Done's text is still what the terminal keeps. */
                if (w->finished && w->outcome != OUTCOME_NONE && !w->priv[STEP_DONE])
                        enter(w, STEP_DONE);
                return;
        }
        k = normal(key);
        /* A step of text alone scrolls with the keys that move (canvas_scrolled shows a row less when it does). */
        if (steps[w->step]->scrolls && list_move(&w->body_scroll, w->body_rows - (w->body_room - 1), w->body_room - 1, k))
                return;
        /* Space chooses like Enter, but a screen with toggles sees it as itself. */
        r = steps[w->step]->key(w, w->priv[w->step], key == ' ' ? ' ' : k);
        if (r == STEP_STAY && (k == WK_BACKSPACE || k == WK_ESC))
                r = STEP_BACK;
        /* Space is Enter only where the screen has nothing to toggle with it. */
        if (r == STEP_STAY && (k == 'n' || (k == WK_ENTER && key != ' ')) && w->step < STEP_REVIEW)
                r = STEP_NEXT;
        switch (r) {
        case STEP_STAY:
        case STEP_HOLD:
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
