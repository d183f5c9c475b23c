/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/strbuf.h"
#include "remedies.h"
#include "wizard_private.h"

/* The plan, exactly as `vfio-setup plan` prints it for this selection, scrollable. */
struct review {
        struct plan *plan;
        char *text;             /* the plan, or why there is none */
        int refusal;            /* plan_build's refusal, 0 with a plan */
        char *command;          /* the same choices as a command line */
        int scroll;
        bool unfolded;          /* o: new files longer than a screen shown whole */
};

/* What a file the plan writes is for, by where it is: for the review's summary. */
static const struct {
        const char *prefix, *what;
} purposes[] = {
        { "etc/libvirt/hooks/", "the hook that hands the devices over while the guest runs" },
        { "var/lib/vz/snippets/", "the guest's hookscript: hands the devices over while it runs" },
        { "etc/modprobe.d/", "vfio-pci's ids and the drivers that wait for it" },
        { "etc/default/grub", "the kernel's parameters, for GRUB" },
        { "etc/grub.d/", "the trial's boot entry, for GRUB" },
        { "etc/kernel/cmdline", "the kernel's parameters" },
        { "boot/efi/loader/entries/", "a boot entry" },
        { "efi/loader/entries/", "a boot entry" },
        { "boot/loader/entries/", "a boot entry" },
        { "etc/initramfs-tools/", "what the initramfs loads" },
        { "etc/dracut.conf.d/", "what the initramfs loads" },
        { "etc/mkinitcpio", "what the initramfs loads" },
        { "etc/booster", "what the initramfs loads" },
        { "etc/vfio-setup/", "binds devices by address" },
        { "etc/systemd/system/", "a service of vfio-setup's" },
        { "etc/tmpfiles.d/", "Looking Glass's shared memory" },
        { "etc/udev/rules.d/", "Looking Glass's kvmfr device" },
        { "etc/modules-load.d/", "modules loaded at boot" },
        { "etc/sysctl.d/", "hugepages" },
        { "var/lib/vfio-setup/state", "what vfio-setup set up, for undo and re-runs" },
};

static const char *purpose_of(const char *path)
{
        for (size_t i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++)
                if (strncmp(path, purposes[i].prefix, strlen(purposes[i].prefix)) == 0)
                        return purposes[i].what;
        return NULL;
}

/* The files first: each with what it does, whether it is new, changed or removed, and its size. */
static void summary(const struct plan *p, struct strbuf *b)
{
        static const char *const actions[] = { [PLAN_CREATE] = "new", [PLAN_MODIFY] = "changed", [PLAN_DELETE] = "removed" };

        if (!p->n_files)
                return;
        strbuf_printf(b, "Files (the changes follow):\n");
        for (size_t i = 0; i < p->n_files; i++) {
                const struct plan_file *f = &p->files[i];
                const char *what = purpose_of(f->path);
                size_t size = f->action == PLAN_DELETE ? f->old_len : f->new_len;

                strbuf_printf(b, "  %-7s /%s, %zu bytes%s%s\n", actions[f->action], f->path, size, what ? ": " : "",
                              what ? what : "");
        }
        strbuf_printf(b, "\n");
}

/* Tabs as the spaces to the next stop of 8, counted after a diff line's mark. */
static void expand_line(struct strbuf *b, const char *line, size_t len)
{
        size_t col = 0, from = len && strchr("+- ", line[0]) ? 1 : 0;

        strbuf_printf(b, "%.*s", (int)from, line);
        for (size_t i = from; i < len; i++) {
                if (line[i] == '\t') {
                        do
                                strbuf_printf(b, " ");
                        while (++col % 8);
                } else {
                        strbuf_printf(b, "%c", line[i]);
                        col++;
                }
        }
        strbuf_printf(b, "\n");
}

/*
 * The plan as the review shows it: the summary, then the plan with tabs expanded and each new
 * file longer than a screen (room rows) folded to its first lines, unless o opened them.
 */
static char *shown_text(const struct review *v, int room)
{
        struct strbuf b = { 0 };
        const char *p = v->text ? v->text : "";
        char *out = NULL;

        if (v->plan)
                summary(v->plan, &b);
        while (*p) {
                size_t len = strcspn(p, "\n");
                bool new_file = strncmp(p, "New file /", 10) == 0;

                expand_line(&b, p, len);
                p += len + (p[len] == '\n');
                if (new_file && !v->unfolded) {
                        size_t lines = 0, shown = 0, keep = room > 8 ? 3 : 1;
                        const char *q = p;

                        for (; *q == '+'; lines++)
                                q += strcspn(q, "\n") + (q[strcspn(q, "\n")] == '\n');
                        if (lines <= (size_t)room)
                                continue;
                        for (; shown < keep; shown++) {
                                len = strcspn(p, "\n");
                                expand_line(&b, p, len);
                                p += len + (p[len] == '\n');
                        }
                        strbuf_printf(&b, "  ... %zu more lines of this new file: o shows them\n", lines - shown);
                        p = q;
                }
        }
        return strbuf_finish(&b, &out) < 0 ? NULL : out;
}

/*
 * The domains that install the guests' systems: one for every GPU, or with guest_per_gpu one
 * per GPU (vfio-guest, vfio-guest-2, ...), the first also taking the other devices and goals.
 */
static int guest_domains(struct wizard *w, const struct plan *p)
{
        size_t guests = w->guest_per_gpu ? 1 + w->sel.more_gpus.n : 1;
        int r = 0;

        for (size_t i = 0; i < guests && r >= 0; i++) {
                struct strv devices = { 0 };
                char name[64], *text = NULL;
                struct plan view;

                snprintf(name, sizeof(name), i ? GUEST_DOMAIN_NAME "-%zu" : GUEST_DOMAIN_NAME, i + 1);
                r = plan_guest_devices(w->m, &w->sel, p, i, guests, &devices);
                if (r >= 0) {
                        struct guest_domain g = { .name = name, .os = w->guest_os };

                        plan_guest_view(p, &devices, i == 0, &view);
                        r = plan_guest_domain(w->sr, &view, &g, &text);
                }
                if (r >= 0 && i == 0)
                        w->libvirt_domain = text;
                else if (r >= 0)
                        r = strv_consume(&w->more_domains, text);
                strv_free(&devices);
        }
        return r;
}

static int enter(struct wizard *w, void *priv)
{
        struct review *v = priv;
        char *reason = NULL;
        int r;

        free(w->plan_text);
        w->plan_text = NULL;
        r = plan_build_worded(w->sr, w->m, &w->sel, wizard_remedies, &v->plan, &reason);
        if (plan_refused(r)) {
                v->refusal = r;
                if (asprintf(&v->text, "The plan is refused:\n%s\n\nb goes back to change the choice.", reason) < 0)
                        v->text = NULL;
                free(reason);
                return v->text ? 0 : -ENOMEM;
        }
        free(reason);
        if (r < 0)
                return r;
        free(w->libvirt_xml);
        free(w->libvirt_domain);
        w->libvirt_xml = w->libvirt_domain = NULL;
        strv_free(&w->more_domains);
        /* Proxmox VE's guests are not libvirt's: Done names qm's options instead. */
        r = v->plan->release || w->m->distro.proxmox_ve ? 0 : plan_libvirt_xml(v->plan, &w->libvirt_xml);
        /* The domain to install the guest's system with; Done says how to make the everyday one after. */
        if (r >= 0 && !v->plan->release && !w->m->distro.proxmox_ve)
                r = guest_domains(w, v->plan);
        if (r >= 0)
                r = plan_to_text(v->plan, &v->text);
        if (r >= 0 && !(v->command = selection_command(w)))
                r = -ENOMEM;
        if (r >= 0 && !(w->plan_text = strdup(v->text)))
                r = -ENOMEM;
        return r;
}

static void release(void *priv)
{
        struct review *v = priv;

        plan_free(v->plan);
        free(v->text);
        free(v->command);
}

/* The width the plan's lines are cut to. */
static int text_width(const struct wizard *w)
{
        return (w->width ? w->width : 80) - 2;
}

/* Rows a text takes at the width: long lines are cut into several, none hidden. */
static int total_rows(const char *text, int width)
{
        int rows = 0;

        for (const char *p = text ? text : ""; *p;) {
                size_t len = strcspn(p, "\n");

                rows += canvas_cut_rows(p, len, width);
                p += len + (p[len] == '\n');
        }
        return rows;
}

/* The rows the plan has on a screen of the last drawing's size. */
static int room_of(const struct wizard *w, const struct review *v)
{
        return (w->height ? w->height : 24) - 6 - canvas_wrap_rows(text_width(w), v->command ? v->command : "");
}

static enum role_id role_of(const char *line)
{
        return line[0] == '+' ? CR_OK : line[0] == '-' ? CR_PROBLEM : line[0] == '@' ? CR_DIM : CR_NORMAL;
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct review *v = priv;
        int width = c->w - 2, row = 0, y, total, room;
        char *text;
        const char *p;

        (void)w;
        if (v->refusal) {
                canvas_wrap(c, top + 1, 2, c->w - 4, CR_PROBLEM, v->text ? v->text : "");
                return;
        }
        top = canvas_wrap(c, top, 1, width, CR_DIM, v->command);
        canvas_hline(c, top++, 1, width);
        y = top;
        room = bottom - 1 - top;
        text = shown_text(v, room);
        total = total_rows(text, width);
        p = text ? text : "";
        while (*p && y < bottom - 1) {
                size_t len = strcspn(p, "\n");
                int rows = canvas_cut_rows(p, len, width);

                for (int i = 0; i < rows && y < bottom - 1; i++, row++)
                        if (row >= v->scroll)
                                canvas_cut_draw(c, y++, 1, width, role_of(p), p, len, i);
                p += len + (p[len] == '\n');
        }
        canvas_printf(c, bottom - 1, 1, CR_DIM, "rows %d-%d of %d%s", v->scroll + 1, v->scroll + (y - top), total,
                      total > room ? "; a row ending in \\ goes on in the next" : "");
        canvas_more_marks(c, top, bottom - 1, v->scroll > 0, v->scroll + room < total);
        free(text);
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct review *v = priv;
        int room = room_of(w, v), last;
        char *text = shown_text(v, room);

        last = total_rows(text, text_width(w)) - room;
        free(text);
        if (list_move(&v->scroll, last, room, k))
                return STEP_STAY;
        switch (k) {
        case 'o':
                v->unfolded = !v->unfolded;
                v->scroll = 0;
                return STEP_STAY;
        case 't':
                /* No one-time boot here: the user chose to set it up for good. */
                if (v->refusal != -VS_E_NO_TRIAL)
                        return STEP_STAY;
                w->sel.no_trial = true;
                w->goto_step = STEP_REVIEW;
                return STEP_GOTO;
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

static const char *keys_now(const struct wizard *w, const void *priv)
{
        const struct review *v = priv;

        (void)w;
        switch (v->refusal) {
        case 0:
                return "Enter apply  Up/Down/PgUp/PgDn scroll  o open files  b back";
        case -VS_E_CONFIRM:
                return "d accept the group  v accept boot VGA  b back";
        case -VS_E_DIRTY_GROUP:
                return "d accept the group  b back";
        case -VS_E_BOOT_VGA:
                return "v accept boot VGA  b back";
        case -VS_E_NO_TRIAL:
                return "t set up without a trial  b back";
        default:
                return "b back";
        }
}

const struct step_ops review_step = {
        .title = "Review",
        .help = "The exact plan: first each file with what it does, then for each the lines that go and come "
                "(unified diff), new files in full (one longer than the screen shows its first lines until o opens "
                "every file whole), then the commands that regenerate the boot files, then warnings. It is what "
                "`vfio-setup plan` prints for the same choices (tabs shown as spaces). Nothing has been written yet.",
        .keys_now = keys_now,
        .private_size = sizeof(struct review),
        .enter = enter,
        .release = release,
        .draw = draw,
        .key = key,
};
