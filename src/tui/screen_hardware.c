/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wizard_private.h"

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        int y;

        (void)priv;
        y = canvas_wrap(c, top + 1, 2, c->w - 4, CR_DIM,
                        "This wizard asks, then shows the exact changes; nothing is written until you press y on the "
                        "Apply screen. q leaves at any time.");
        y = canvas_wrap(c, y + 1, 2, c->w - 4, CR_NORMAL,
                        "VFIO passthrough needs CPU virtualization (VT-x / AMD-V) and an IOMMU. This is what the "
                        "machine says about itself:");
        draw_findings(w, c, y + 1, bottom, SECTION_HARDWARE);
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        (void)w;
        (void)priv;
        (void)k;
        return STEP_STAY;
}

const struct step_ops hardware_step = {
        .title = "Hardware",
        .help = "The CPU, its virtualization flag and the board. A PROBLEM here (no vmx/svm flag) is fixed in the "
                "firmware setup: see the next screen. Inside a virtual machine, passthrough of the host's GPUs is "
                "set up on the host.",
        .keys = "Enter next",
        .scrolls = true,
        .draw = draw,
        .key = key,
};
