/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wizard_private.h"

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct machine *m = w->m;
        int y = top + 1, n = 1;

        (void)priv;
        (void)bottom;
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
                canvas_wrap(c, y + 1, 2, c->w - 4, CR_WARNING,
                            "This was a demo on a sample machine: only its temporary copy was changed.");
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        (void)w;
        (void)priv;
        return k == WK_ENTER || k == 'n' ? STEP_QUIT : STEP_STAY;
}

const struct step_ops done_step = {
        .title = "Done",
        .help = "Reboot for the new configuration to take effect, then check it with vfio-setup verify. "
                "vfio-setup undo puts back what this run changed.",
        .draw = draw,
        .key = key,
};
