/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/storage.h"
#include "wizard_private.h"

/* The GPUs to choose from, and other devices that could go along (each alone in its group). */
struct gpu_view {
        size_t cursor;
        bool extras_focus;
        size_t extra_cursor;
        size_t extras[64];
        size_t n_extras;
};

static const uint16_t extra_classes[] = { 0x0c03, 0x0108, 0x0106, 0x0200, 0x0280 };

static int enter(struct wizard *w, void *priv)
{
        struct gpu_view *v = priv;
        const struct machine *m = w->m;
        const char *want = w->sel.gpu ? w->sel.gpu : m->vfio.tool.devices.n ? m->vfio.tool.devices.v[0] : NULL;
        size_t best, disk;

        if (machine_recommended_gpu(m, &best) == 0)
                v->cursor = best;
        else
                /* Nothing can be judged yet (IOMMU off): at least not the firmware's console GPU. */
                for (size_t i = m->n_gpus; i-- > 0;)
                        if (m->devices[m->gpus[i].device].boot_vga != 1)
                                v->cursor = i;
        for (size_t i = 0; want && i < m->n_gpus; i++) {
                size_t idx;

                if (machine_find_device(m, want, &idx) == 0 && m->gpus[i].device == idx)
                        v->cursor = i;
        }
        for (size_t i = 0; i < m->n_devices && v->n_extras < 64; i++)
                for (size_t k = 0; k < sizeof(extra_classes) / sizeof(extra_classes[0]); k++)
                        if (m->devices[i].class_known && m->devices[i].class_id == extra_classes[k] &&
                            device_alone_in_group(m, i) && controller_host_disk(m, i, &disk) < 0)
                                v->extras[v->n_extras++] = i;
        return 0;
}

static const char *name_of(const struct pci_device *d)
{
        return d->device_name ? d->device_name : d->vendor_name ? d->vendor_name : "unknown device";
}

static void details(const struct wizard *w, int gpu, struct canvas *c, int y, int bottom)
{
        const struct machine *m = w->m;
        const struct gpu_info *g = &m->gpus[gpu];
        const struct pci_device *d = &m->devices[g->device];
        char *ids = strv_join(&g->vfio_ids, ", "), *why = strv_join(&g->reason_texts, "; ");
        char group[16] = "unknown";

        if (d->iommu_group != PCI_GROUP_NONE)
                snprintf(group, sizeof(group), "%d", d->iommu_group);
        canvas_printf(c, y++, 2, CR_TITLE, "%s %s", d->address, name_of(d));
        canvas_printf(c, y++, 4, CR_NORMAL, "driver %s, IOMMU group %s, ids %s", d->driver ? d->driver : "none", group,
                      ids ? ids : "");
        for (size_t i = 0; i < g->n_companions && y < bottom; i++)
                canvas_printf(c, y++, 4, CR_DIM, "goes along: %s %s", m->devices[g->companions[i]].address,
                              name_of(&m->devices[g->companions[i]]));
        for (size_t i = 0; i < g->n_blockers && y < bottom; i++)
                canvas_printf(c, y++, 4, CR_PROBLEM, "shares its group: %s %s", m->devices[g->blockers[i]].address,
                              name_of(&m->devices[g->blockers[i]]));
        if (why && *why && y < bottom)
                y = canvas_wrap(c, y, 4, c->w - 6, g->passthrough_ok ? CR_DIM : CR_WARNING, why);
        for (size_t i = 0; i < w->findings.n && y < bottom; i++) {
                const struct finding *f = &w->findings.v[i];

                if (f->about_gpu != gpu || f->gpu == gpu)
                        continue;
                y = canvas_wrap(c, y, 4, c->w - 6, f->severity == SEVERITY_INFO ? CR_NORMAL : CR_WARNING, f->text);
                if (f->advice && y < bottom)
                        y = canvas_wrap(c, y, 6, c->w - 8, CR_DIM, f->advice);
        }
        if (m->n_gpus == 1 && y < bottom)
                canvas_wrap(c, y, 4, c->w - 6, CR_WARNING,
                            "One GPU only: while a guest has it, the host has no display. Dual GPU is the supported "
                            "way; single-GPU passthrough needs scripts that hand the card over at VM start.");
        free(ids);
        free(why);
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct gpu_view *v = priv;
        const struct machine *m = w->m;
        int y = top + 1, list_end;

        if (m->n_gpus == 0) {
                canvas_wrap(c, y, 2, c->w - 4, CR_PROBLEM, "No GPU was found: there is nothing to pass through.");
                return;
        }
        canvas_printf(c, y++, 2, CR_NORMAL, "%zu GPU%s. Choose the one the guest gets:", m->n_gpus, m->n_gpus == 1 ? "" : "s");
        for (size_t i = 0; i < m->n_gpus && y < bottom - 6; i++) {
                const struct gpu_info *g = &m->gpus[i];
                const struct pci_device *d = &m->devices[g->device];
                char *line;

                if (asprintf(&line, "%s  %-32.32s %s%s", d->address, name_of(d), g->passthrough_ok ? "ready" : "not ready",
                             d->boot_vga == 1 ? ", boot VGA" : "") < 0)
                        continue;
                draw_item(c, y++, 2, c->w - 4, i == v->cursor && !v->extras_focus, g->passthrough_ok ? CR_OK : CR_WARNING, line);
                free(line);
        }
        list_end = y;
        if (v->n_extras) {
                canvas_text(c, y++, 2, CR_NORMAL, "Devices that may go along (Tab, then Space):");
                for (size_t i = 0; i < v->n_extras && y < list_end + 3; i++) {
                        const struct pci_device *d = &m->devices[v->extras[i]];
                        char *line;

                        if (asprintf(&line, "[%c] %s  %s", strv_contains(&w->sel.extra, d->address) ? 'x' : ' ', d->address,
                                     name_of(d)) < 0)
                                continue;
                        draw_item(c, y++, 2, c->w - 4, v->extras_focus && i == v->extra_cursor, CR_NORMAL, line);
                        free(line);
                }
        }
        canvas_hline(c, y++, 2, c->w - 4);
        details(w, (int)v->cursor, c, y, bottom);
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct gpu_view *v = priv;
        size_t *cur = v->extras_focus ? &v->extra_cursor : &v->cursor;
        size_t n = v->extras_focus ? v->n_extras : w->m->n_gpus;

        switch (k) {
        case WK_UP:
                if (*cur > 0)
                        (*cur)--;
                return STEP_STAY;
        case WK_DOWN:
                if (*cur + 1 < n)
                        (*cur)++;
                return STEP_STAY;
        case WK_TAB:
                v->extras_focus = !v->extras_focus && v->n_extras > 0;
                return STEP_STAY;
        case ' ':
                if (v->extras_focus) {
                        const char *addr = w->m->devices[v->extras[v->extra_cursor]].address;

                        if (strv_remove(&w->sel.extra, addr) == 0 || strv_push(&w->sel.extra, addr) >= 0)
                                w->changed = true;
                        return STEP_STAY;
                }
                /* Space chooses like Enter outside the extras. */
                __attribute__((fallthrough));
        case WK_ENTER:
        case 'n':
                if (w->m->n_gpus == 0)
                        return STEP_STAY;
                free(w->sel.gpu);
                w->sel.gpu = strdup(w->m->devices[w->m->gpus[v->cursor].device].address);
                w->sel.release = false;
                w->changed = true;
                return STEP_NEXT;
        default:
                return STEP_STAY;
        }
}

const struct step_ops gpu_step = {
        .title = "GPU choice",
        .help = "Choose the GPU the guest gets. \"ready\" means it can be passed through as it is: its IOMMU group "
                "holds nothing the host needs, it is not the boot VGA device, and another GPU is left for the "
                "host. The functions of the same card (HDMI audio, USB-C) always go along. With Tab you reach "
                "other devices, each alone in its group, that may go along too (Space toggles one).",
        .private_size = sizeof(struct gpu_view),
        .enter = enter,
        .draw = draw,
        .key = key,
};
