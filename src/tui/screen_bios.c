/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vfio-setup/datadir.h"
#include "wizard_private.h"

/* Where a board maker hides the switches: data/bios-hints, "vendor<TAB>intel path<TAB>amd path" lines. */
struct bios {
        char *hint;
};

static int enter(struct wizard *w, void *priv)
{
        struct bios *b = priv;
        const char *vendor = w->m->board.vendor ? w->m->board.vendor : w->m->board.sys_vendor;
        char *text = NULL, *line, *save = NULL;

        if (!vendor || data_read("bios-hints", &text) < 0)
                return 0;
        for (line = strtok_r(text, "\n", &save); line && !b->hint; line = strtok_r(NULL, "\n", &save)) {
                char *intel = strchr(line, '\t'), *amd;

                if (line[0] == '#' || !intel || !(amd = strchr(intel + 1, '\t')))
                        continue;
                *intel++ = '\0';
                *amd++ = '\0';
                if (strcasestr(vendor, line) &&
                    asprintf(&b->hint, "On %s boards: %s", line, w->m->cpu.vendor == CPU_VENDOR_AMD ? amd : intel) < 0)
                        b->hint = NULL;
        }
        free(text);
        return 0;
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct bios *b = priv;
        int y = draw_findings(w, c, top + 1, bottom, SECTION_FIRMWARE);

        if (b->hint && !w->m->cpu.hypervisor)
                y = canvas_wrap(c, y + 1, 2, c->w - 4, CR_NORMAL, b->hint);
        /* A guest has no firmware switch of its own for this: the hypervisor gives it a virtual IOMMU or not. */
        if (w->m->cpu.hypervisor && !w->m->iommu.firmware_table && !w->m->iommu.kernel_active)
                canvas_wrap(c, y + 1, 2, c->w - 4, CR_WARNING,
                            "This is a virtual machine: it has an IOMMU only when its hypervisor gives it a virtual one "
                            "(QEMU: -device intel-iommu or amd-iommu on a q35 machine). To pass the host's GPUs to a "
                            "guest, run vfio-setup on the host.");
        else if (!w->m->iommu.firmware_table && !w->m->iommu.kernel_active)
                canvas_wrap(c, y + 1, 2, c->w - 4, CR_WARNING,
                            "You may go on: the plan adds what the kernel needs. But the IOMMU must be enabled in the "
                            "firmware setup before passthrough can work: reboot into it after applying.");
        else if (!w->m->iommu.kernel_active)
                canvas_wrap(c, y + 1, 2, c->w - 4, CR_WARNING,
                            "The firmware has the IOMMU on; the kernel will have it after the plan is applied and the "
                            "machine rebooted.");
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        (void)w;
        (void)priv;
        (void)k;
        return STEP_STAY;
}

static void release(void *priv)
{
        free(((struct bios *)priv)->hint);
}

const struct step_ops bios_step = {
        .title = "Firmware and IOMMU",
        .help = "The firmware (BIOS/UEFI setup) must enable the IOMMU: Intel VT-d, or on AMD the IOMMU (often under "
                "AMD CBS > NBIO) and SVM. Set them to Enabled, not Auto. Intel also needs intel_iommu=on on the "
                "kernel command line, which vfio-setup adds.",
        .private_size = sizeof(struct bios),
        .enter = enter,
        .release = release,
        .keys = "Enter next  b back",
        .scrolls = true,
        .draw = draw,
        .key = key,
};
