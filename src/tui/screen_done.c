/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <string.h>

#include "wizard_private.h"

/* The libvirt elements scroll when they are longer than the room left for them. */
struct done_view {
        int scroll;
};

static int xml_lines(const struct wizard *w)
{
        int n = 0;

        for (const char *p = w->libvirt_xml; p && *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n'))
                n++;
        return n;
}

/* What the guest's libvirt domain needs, as `vfio-setup plan --libvirt-xml` prints it. */
static void draw_libvirt(const struct wizard *w, int scroll, struct canvas *c, int y, int bottom)
{
        const char *p = w->libvirt_xml;
        int total = xml_lines(w), line = 0, first;

        if (!p || !*p || y + 2 >= bottom)
                return;
        y = canvas_wrap(c, y, 2, c->w - 4, CR_TITLE,
                        strncmp(p, "<!--", 4) == 0 ? "For the guest: add to its domain (virsh edit), where the comments say:"
                                                   : "For the guest: add to its domain's <devices> (virsh edit):");
        first = y;
        while (*p && y < bottom) {
                size_t len = strcspn(p, "\n");

                if (y == bottom - 1 && line + 1 < total) {
                        canvas_printf(c, y, 4, CR_DIM, "lines %d-%d of %d; Up/Down/PgUp/PgDn scroll "
                                                        "(all of it: vfio-setup plan --libvirt-xml)",
                                      scroll + 1, scroll + (y - first), total);
                        break;
                }
                if (line++ >= scroll)
                        canvas_printf(c, y++, 4, CR_NORMAL, "%.*s",
                                      (int)(len < (size_t)(c->w - 5) ? len : (size_t)(c->w - 5)), p);
                p += len + (p[len] == '\n');
        }
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct done_view *v = priv;
        const struct machine *m = w->m;
        int y = top + 1, n = 1;

        if (w->sel.release)
                y = canvas_wrap(c, y, 2, c->w - 4, CR_OK, "Passthrough is removed from the configuration.");
        else
                y = canvas_wrap(c, y, 2, c->w - 4, CR_OK, "The configuration for passthrough is written.");
        y++;
        canvas_text(c, y++, 2, CR_TITLE, "What comes next:");
        canvas_printf(c, y, 4, CR_NORMAL, "%d.", n++);
        y = canvas_wrap(c, y, 7, c->w - 9, CR_NORMAL, "Reboot.");
        if (!m->iommu.firmware_table || !m->cpu.virt_flag) {
                canvas_printf(c, y, 4, CR_WARNING, "%d.", n++);
                y = canvas_wrap(c, y, 7, c->w - 9, CR_WARNING,
                                "On the way, enter the firmware setup and enable virtualization and the IOMMU "
                                "(Enabled, not Auto): see the Firmware step.");
        }
        canvas_printf(c, y, 4, CR_NORMAL, "%d.", n);
        y = canvas_wrap(c, y, 7, c->w - 9, CR_NORMAL,
                        "Then run: vfio-setup verify  (are the devices bound to vfio-pci, is the IOMMU on?)");
        y++;
        y = canvas_wrap(c, y, 2, c->w - 4, CR_DIM,
                        "To put every file back as it was: sudo vfio-setup undo. To remove passthrough later, or "
                        "move it to another GPU: run vfio-setup again.");
        if (w->o.demo)
                y = canvas_wrap(c, y + 1, 2, c->w - 4, CR_WARNING,
                                "This was a demo on a sample machine: only its temporary copy was changed.");
        if (!w->sel.release)
                draw_libvirt(w, v->scroll, c, y + 1, bottom);
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct done_view *v = priv;
        int last = xml_lines(w) - 1, step = k == WK_UP || k == WK_DOWN ? 1 : 10;

        if (k == WK_UP || k == WK_PGUP)
                v->scroll = v->scroll > step ? v->scroll - step : 0;
        else if ((k == WK_DOWN || k == WK_PGDN) && last > 0)
                v->scroll = v->scroll + step < last ? v->scroll + step : last;
        return k == WK_ENTER || k == 'n' ? STEP_QUIT : STEP_STAY;
}

const struct step_ops done_step = {
        .title = "Done",
        .help = "Reboot for the new configuration to take effect, then check it with vfio-setup verify. "
                "vfio-setup undo puts back what this run changed. Up/Down/PgUp/PgDn scroll the libvirt elements "
                "for the guest's domain.",
        .private_size = sizeof(struct done_view),
        .draw = draw,
        .key = key,
};
