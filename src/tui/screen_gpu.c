/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/group_view.h"
#include "vfio-setup/host_needs.h"
#include "wizard_private.h"

/*
 * The GPUs to choose from; devices that may go along with the chosen one
 * (first those sharing its IOMMU group, then others alone in theirs); and,
 * on g, every IOMMU group with its devices.
 */
#define MAX_EXTRAS 64

struct extra {
        size_t device;
        bool blocker;           /* shares the chosen GPU's group */
        char *host_needs;       /* why it cannot go, or NULL */
};

/*
 * The devices the host is reached through that a choice would take, asked about one at a
 * time: y passes the first and asks about the next; any other key keeps them all.
 */
struct confirm {
        size_t devices[MAX_EXTRAS];
        size_t n;
        bool gpu;               /* Enter chose the GPU under the cursor: it is chosen once all are passed */
};

struct gpu_view {
        size_t cursor;
        bool extras_focus;
        size_t extra_cursor;
        struct extra extras[MAX_EXTRAS];
        size_t n_extras;
        struct confirm ask;     /* what the host would lose, while n > 0 */
        bool groups;            /* the IOMMU group view is open */
        int group_scroll;
        struct group_view *gview; /* what it shows, read when it first opens */
        int detail_scroll;      /* of the pane about the GPU under the cursor, by PgUp/PgDn */
};

/* Devices alone in their group that guests commonly get. */
static const uint16_t extra_classes[] = { 0x0c03, 0x0108, 0x0106, 0x0200, 0x0280, 0x0403 };

/* Why a GPU is not ready, in the few words its row has room for. */
static const char *const short_reasons[_GPU_REASON_MAX] = {
        [GPU_REASON_IOMMU_OFF] = "IOMMU off",
        [GPU_REASON_NO_GROUP] = "no IOMMU group",
        [GPU_REASON_DIRTY_GROUP] = "group shared",
        [GPU_REASON_BOOT_VGA] = "boot display",
        [GPU_REASON_ONLY_GPU] = "only GPU",
        [GPU_REASON_UNKNOWN_IDS] = "ids unreadable",
        [GPU_REASON_HOST_DISK] = "host disk on it",
        [GPU_REASON_HOST_WAY] = "host's way in",
};

static void clear_extras(struct gpu_view *v)
{
        for (size_t i = 0; i < v->n_extras; i++)
                free(v->extras[i].host_needs);
        v->n_extras = 0;
        v->extra_cursor = 0;
}

static void add_extra(struct gpu_view *v, const struct machine *m, size_t device, bool blocker)
{
        for (size_t i = 0; i < v->n_extras; i++)
                if (v->extras[i].device == device)
                        return;
        if (v->n_extras < MAX_EXTRAS)
                v->extras[v->n_extras++] = (struct extra){ device, blocker, device_host_needs(m, device) };
}

/* A function of a GPU's card: it goes with its GPU, or stays with it. */
static bool gpu_function(const struct machine *m, size_t device)
{
        for (size_t i = 0; i < m->n_gpus; i++) {
                if (m->gpus[i].device == device)
                        return true;
                for (size_t k = 0; k < m->gpus[i].n_companions; k++)
                        if (m->gpus[i].companions[k] == device)
                                return true;
        }
        return false;
}

/* The extras follow the GPU under the cursor: its group's other devices come first. */
static void build_extras(struct gpu_view *v, const struct machine *m)
{
        const struct gpu_info *g = m->n_gpus ? &m->gpus[v->cursor] : NULL;

        clear_extras(v);
        for (size_t i = 0; g && i < g->n_blockers; i++)
                add_extra(v, m, g->blockers[i], true);
        for (size_t i = 0; i < m->n_devices; i++) {
                char *why;

                if (!m->devices[i].class_known || !device_alone_in_group(m, i) || gpu_function(m, i))
                        continue;
                for (size_t k = 0; k < sizeof(extra_classes) / sizeof(extra_classes[0]); k++) {
                        if (m->devices[i].class_id != extra_classes[k])
                                continue;
                        /* What the host needs is not offered here; a blocker that it needs is shown, to explain. */
                        why = device_host_needs(m, i);
                        if (!why)
                                add_extra(v, m, i, false);
                        free(why);
                }
        }
}

static int enter(struct wizard *w, void *priv)
{
        struct gpu_view *v = priv;
        const struct machine *m = w->m;
        const char *want = w->sel.gpu ? w->sel.gpu : m->vfio.tool.devices.n ? m->vfio.tool.devices.v[0] : NULL;
        size_t best;

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
        build_extras(v, m);
        return 0;
}

static void release(void *priv)
{
        struct gpu_view *v = priv;

        clear_extras(v);
        group_view_free(v->gview);
        v->gview = NULL;
}

/* The device's name as lspci shows it; a few live at once (two in one line). */
static const char *name_of(const struct pci_device *d)
{
        static char bufs[4][PCI_LABEL_SIZE];
        static unsigned next;

        return pci_device_label(d, bufs[next++ % 4]);
}

/* "NVIDIA Corporation" -> "NVIDIA"; "Advanced Micro Devices, Inc. [AMD/ATI]" -> "AMD/ATI". */
static char *vendor_of(const struct pci_device *d)
{
        const char *v = d->vendor_name, *open;

        if (!v)
                return strdup("");
        open = strchr(v, '[');
        if (open && strchr(open, ']'))
                return strndup(open + 1, strcspn(open + 1, "]"));
        return strndup(v, strcspn(v, " ,"));
}

static bool passed_now(const struct machine *m, const struct pci_device *d)
{
        return strv_contains(&m->vfio.tool.devices, d->address) || strv_contains(&m->vfio.bound, d->address);
}

static char *status_of(const struct wizard *w, const struct gpu_info *g, const struct pci_device *d)
{
        const struct machine *m = w->m;
        const char *why = "ready";
        char *text;

        for (int r = 0; r < _GPU_REASON_MAX && !g->passthrough_ok; r++)
                if ((g->reasons & (1u << r)) && short_reasons[r]) {
                        why = short_reasons[r];
                        break;
                }
        if (asprintf(&text, "%s%s%s%s", why, (g->reasons & (1u << GPU_REASON_ACS_OVERRIDE)) ? ", ACS override" : "",
                     passed_now(m, d) ? ", passed through now" : "",
                     strv_contains(&w->sel.more_gpus, d->address) ? ", also goes" : "") < 0)
                return NULL;
        return text;
}

static const char *const dirty_ways =
        "Ways out: tick the devices sharing the group below to pass them along, or move the card to a slot wired to "
        "the CPU. d on the review sets it up anyway, but the guest then starts only once every device of the group "
        "goes to vfio-pci, or under a kernel with the ACS override patch (pcie_acs_override=downstream,"
        "multifunction), which splits groups by pretending an isolation the hardware does not promise: devices of "
        "one real group can then reach each other's memory, so a guest may read the host's. vfio-setup does not set "
        "it.";

static const char *const dirty_kept =
        "The group holds what the host needs (marked above): vfio-pci gives a guest a group whole or not at all, so "
        "this GPU cannot go as it sits. Move the card to a slot wired to the CPU, or choose another GPU.";

static const char *const only_gpu_text =
        "One GPU only: bound at boot, the host has no display from early boot on (to get it back: ssh in and run "
        "undo, or add module_blacklist=vfio_pci to the kernel line at the boot menu for one boot). Single-GPU mode, "
        "on the Goal screen, hands it over only while the guest runs. Two GPUs are the supported way.";

static const char *const host_disk_ways =
        "vfio-pci takes every function of the card's slot, its USB controller too. Plug the disk into another port, "
        "or stop using it on the host (unmount it, take it out of /etc/fstab), then start vfio-setup again.";

static int details(const struct wizard *w, int gpu, struct canvas *c, int y, int bottom)
{
        const struct machine *m = w->m;
        const struct gpu_info *g = &m->gpus[gpu];
        const struct pci_device *d = &m->devices[g->device];
        char *ids = strv_join(&g->vfio_ids, ", "), *line;
        char group[16] = "none";

        if (d->iommu_group != PCI_GROUP_NONE)
                snprintf(group, sizeof(group), "%d", d->iommu_group);
        canvas_printf(c, y++, 2, CR_TITLE, "%s %s", d->address, name_of(d));
        /* Four functions' ids outgrow 80 columns: wrapped, not cut. */
        if (asprintf(&line, "driver %s, IOMMU group %s, ids %s", d->driver ? d->driver : "none", group,
                     ids ? ids : "") < 0)
                line = NULL;
        y = canvas_wrap(c, y, 4, c->w - 6, CR_NORMAL, line ? line : "");
        free(line);
        for (size_t i = 0; i < g->n_companions && y < bottom; i++)
                canvas_printf(c, y++, 4, CR_DIM, "goes along: %s %s", m->devices[g->companions[i]].address,
                              name_of(&m->devices[g->companions[i]]));
        /* The blockers are the extras list's first rows; the other reasons are said here, with their details. */
        for (size_t i = 0; i < g->reason_texts.n && y < bottom; i++) {
                if (startswith(g->reason_texts.v[i], gpu_reason_text(GPU_REASON_DIRTY_GROUP)) ||
                    startswith(g->reason_texts.v[i], gpu_reason_text(GPU_REASON_ONLY_GPU)))
                        continue;
                y = canvas_wrap(c, y, 4, c->w - 6, g->passthrough_ok ? CR_DIM : CR_WARNING, g->reason_texts.v[i]);
                /* What leaves it out (intel_iommu=igfx_off), and what to do. */
                if (startswith(g->reason_texts.v[i], gpu_reason_text(GPU_REASON_NO_GROUP)) && y < bottom)
                        y = canvas_wrap(c, y, 6, c->w - 8, CR_DIM, findings_no_group_advice(m));
        }
        if ((g->reasons & (1u << GPU_REASON_HOST_DISK)) && y < bottom)
                y = canvas_wrap(c, y, 6, c->w - 8, CR_DIM, host_disk_ways);
        if ((g->reasons & (1u << GPU_REASON_DIRTY_GROUP)) && y < bottom) {
                bool kept = false;

                for (size_t i = 0; i < g->n_blockers; i++) {
                        char *why = device_host_needs(m, g->blockers[i]);

                        kept |= why || device_host_ways(m, g->blockers[i]);
                        free(why);
                }
                y = canvas_wrap(c, y, 4, c->w - 6, CR_WARNING, kept ? dirty_kept : dirty_ways);
        }
        for (size_t i = 0; i < w->findings.n && y < bottom; i++) {
                const struct finding *f = &w->findings.v[i];

                if (f->about_gpu != gpu || f->gpu == gpu)
                        continue;
                y = canvas_wrap(c, y, 4, c->w - 6, f->severity == SEVERITY_INFO ? CR_NORMAL : CR_WARNING, f->text);
                if (f->advice && y < bottom)
                        y = canvas_wrap(c, y, 6, c->w - 8, CR_DIM, f->advice);
        }
        if (machine_display_on_only_gpu(m) && y < bottom)
                y = canvas_wrap(c, y, 4, c->w - 6, CR_WARNING, only_gpu_text);
        free(ids);
        return y;
}

struct detail_of {
        const struct wizard *w;
        int gpu;
};

static void draw_details_whole(struct canvas *c, const void *data)
{
        const struct detail_of *d = data;

        details(d->w, d->gpu, c, 0, c->h);
}

/* The pane's height at the last drawing's width: how far PgDn may go. */
static int details_rows(const struct wizard *w, int gpu)
{
        return canvas_measure(w->width > 0 ? w->width : 80, draw_details_whole, &(struct detail_of){ w, gpu });
}

static void draw_gpus(const struct wizard *w, const struct gpu_view *v, struct canvas *c, int *y, int last)
{
        const struct machine *m = w->m;
        size_t first = v->cursor + 1 > (size_t)(last - *y) ? v->cursor + 1 - (size_t)(last - *y) : 0;
        int top = *y, width = c->w - 4, status_width = 0, name_width;

        /* The name takes what the address and the longest status leave. */
        for (size_t i = 0; i < m->n_gpus; i++) {
                char *status = status_of(w, &m->gpus[i], &m->devices[m->gpus[i].device]);

                if (status && (int)strlen(status) > status_width)
                        status_width = (int)strlen(status);
                free(status);
        }
        name_width = width - 2 - 14 - 1 - status_width;
        if (name_width < 16)
                name_width = 16;
        for (size_t i = first; i < m->n_gpus && *y < last; i++) {
                const struct gpu_info *g = &m->gpus[i];
                const struct pci_device *d = &m->devices[g->device];
                char *vendor = vendor_of(d), *status = status_of(w, g, d), *name = NULL, *line = NULL;

                if (vendor && status && asprintf(&name, "%s%s%s", vendor, *vendor ? " " : "", name_of(d)) >= 0 &&
                    asprintf(&line, "%s  %-*s %s", d->address, name_width, "", status) >= 0) {
                        bool selected = i == v->cursor && !v->extras_focus;
                        enum role_id role = g->passthrough_ok ? CR_OK : CR_WARNING;
                        /* The name in a box of its column: longer, it is cut with the mark. */
                        int x = 2 + 2 + (int)strlen(d->address) + 2;
                        struct canvas_rect before;

                        draw_item(c, *y, 2, width, selected, role, line);
                        before = canvas_clip(c, *y, x, 1, name_width);
                        canvas_text(c, *y, x, selected ? CR_SELECTED : role, name);
                        canvas_unclip(c, before);
                        (*y)++;
                }
                free(vendor);
                free(status);
                free(name);
                free(line);
        }
        canvas_more_marks(c, top, *y - 1, first > 0, first + (size_t)(*y - top) < m->n_gpus);
}

static void draw_extras(const struct wizard *w, const struct gpu_view *v, struct canvas *c, int *y, int rows)
{
        const struct machine *m = w->m;
        size_t first = v->extra_cursor + 1 > (size_t)rows ? v->extra_cursor + 1 - (size_t)rows : 0;
        int top;

        if (!v->n_extras)
                return;
        canvas_text(c, (*y)++, 2, CR_NORMAL, "Devices that may go along (Tab, then Space ticks one):");
        top = *y;
        for (size_t i = first; i < v->n_extras && *y < top + rows; i++) {
                const struct extra *e = &v->extras[i];
                const struct pci_device *d = &m->devices[e->device];
                char *line;
                int n;

                if (e->host_needs)
                        n = asprintf(&line, " -  %s  %s (stays with the host)", d->address, name_of(d));
                else
                        /* One mark, the weightier: the details below the list say both. */
                        n = asprintf(&line, "[%c] %s  %s%s", strv_contains(&w->sel.extra, d->address) ? 'x' : ' ',
                                     d->address, name_of(d),
                                     device_host_ways(m, e->device) ? " (the host's way in)"
                                     : e->blocker                   ? " (shares the GPU's group)"
                                                                    : "");
                if (n < 0)
                        continue;
                draw_item(c, (*y)++, 2, c->w - 4, v->extras_focus && i == v->extra_cursor,
                          e->host_needs ? CR_DIM : e->blocker || device_host_ways(m, e->device) ? CR_WARNING : CR_NORMAL,
                          line);
                free(line);
        }
        canvas_more_marks(c, top, *y - 1, first > 0, first + (size_t)(*y - top) < v->n_extras);
}

/*
 * About the device under the extras cursor, where the GPU's details would be: why it
 * cannot go, or for a USB controller what is plugged in (it goes with the controller).
 */
static int draw_extra_details(const struct wizard *w, const struct gpu_view *v, struct canvas *c, int y)
{
        const struct extra *e = &v->extras[v->extra_cursor];
        const struct pci_device *d;
        char *text = NULL, *list = NULL;
        int n = 0;

        if (!v->extras_focus || !v->n_extras)
                return y;
        d = &w->m->devices[e->device];
        if (e->host_needs)
                n = asprintf(&text, "%s is %s: the host needs it, so it is not offered.", d->address, e->host_needs);
        else if (device_host_ways(w->m, e->device) && (list = strv_join(&d->host_way_texts, " and ")))
                n = asprintf(&text, "%s%s is %s: Space asks before it passes it.", d->address,
                             e->blocker ? ", in the GPU's group," : "", list);
        else if (d->class_known && d->class_id == 0x0c03 && (list = strv_join(&d->usb_devices, ", ")))
                n = asprintf(&text, d->usb_devices.n ? "Plugged into %s now, and going with it: %s."
                                                     : "Nothing is plugged into %s now%s.",
                             d->address, list);
        free(list);
        if (n < 0 || !text)
                return y;
        y = canvas_wrap(c, y, 2, c->w - 4, e->host_needs || device_host_ways(w->m, e->device) ? CR_WARNING : CR_NORMAL,
                        text);
        free(text);
        return y;
}

/* The question about the first device the host would lose, in the place of the details. */
static void draw_confirm(const struct wizard *w, const struct gpu_view *v, struct canvas *c, int y)
{
        const struct pci_device *d = &w->m->devices[v->ask.devices[0]];
        char *list = d->host_way_texts.n ? strv_join(&d->host_way_texts, " and ")
                                         : strdup("the last GPU lighting a screen the host shows: the others are chosen "
                                                  "already"),
             *text = NULL;

        if (list && asprintf(&text, "%s is %s. Passing it takes that way in from the host from the next boot: "
                                    "have another way in first (another keyboard, network or screen). At the boot "
                                    "menu, module_blacklist=vfio_pci on the kernel line gives it back for one boot.",
                             d->address, list) >= 0) {
                y = canvas_wrap(c, y, 2, c->w - 4, CR_WARNING, text);
                canvas_wrap(c, y + 1, 2, c->w - 4, CR_NORMAL, "y passes it anyway; any other key keeps it with the host.");
        }
        free(list);
        free(text);
}

#define MARK_CHOSEN "  <- the GPU under the cursor"

/*
 * A group's lines: its verdict, then each device with its driver, reset and what the host
 * keeps.  chosen is the group of the GPU under the cursor, INT_MIN without a GPU.
 */
static int entry_lines(const struct machine *m, const struct group_entry *e, int chosen, struct strv *out,
                       struct strv *roles)
{
        bool mine = e->id == chosen;
        int r;

        if (e->id == PCI_GROUP_NONE)
                r = strv_pushf(out, "In no group  %s%s", group_entry_verdict(e), mine ? MARK_CHOSEN : "");
        else
                r = strv_pushf(out, "Group %d  %s%s", e->id, group_entry_verdict(e), mine ? MARK_CHOSEN : "");
        if (r >= 0)
                r = strv_push(roles, mine ? "t" : e->whole_ok ? "n" : "w");
        for (size_t k = 0; k < e->n_members && r >= 0; k++) {
                const struct group_member *g = &e->members[k];
                const struct pci_device *d = &m->devices[g->device];

                r = strv_pushf(out, "  %s [%04x] %04x:%04x %s", d->address, d->class_id, d->vendor_id, d->device_id,
                               name_of(d));
                if (r >= 0)
                        r = strv_push(roles, mine ? "o" : "n");
                if (r >= 0)
                        r = strv_pushf(out, "      driver %s, reset %s%s%s", d->driver ? d->driver : "none",
                                       g->reset_method ? g->reset_method : "not listed",
                                       g->host_needs ? "; the host keeps it: " : "",
                                       g->host_needs ? g->host_needs : "");
                if (r >= 0)
                        r = strv_push(roles, g->host_needs ? "w" : "d");
        }
        return r;
}

/*
 * Every IOMMU group as `vfio-setup groups` shows it: whether it can go to a
 * guest whole, each device with class, ids, driver, name, reset method and
 * what the host keeps; then the bridges above each GPU.  The GPU under the
 * cursor's group is marked.  Roles: t title, o the chosen group, d dim, w warning.
 */
static int group_lines(const struct wizard *w, const struct gpu_view *v, struct strv *out, struct strv *roles)
{
        const struct machine *m = w->m;
        const struct group_view *gv = v->gview;
        int chosen = m->n_gpus ? m->devices[m->gpus[v->cursor].device].iommu_group : INT_MIN;
        int r = 0;

        if (m->n_groups == 0)
                return strv_push(out, "The kernel made no IOMMU groups: the IOMMU is not on yet.");
        if (!gv)
                return strv_push(out, "The IOMMU groups could not be read.");
        for (size_t i = 0; i < gv->n_groups && r >= 0; i++)
                r = entry_lines(m, &gv->groups[i], chosen, out, roles);
        if (r >= 0 && gv->ungrouped.n_members)
                r = entry_lines(m, &gv->ungrouped, chosen, out, roles);
        for (size_t i = 0; i < gv->n_paths && r >= 0; i++) {
                const struct gpu_path *p = &gv->paths[i];

                r = strv_pushf(out, "GPU %s: %s", m->devices[p->gpu].address,
                               p->n_bridges ? "behind" : "no bridge above it");
                if (r >= 0)
                        r = strv_push(roles, "n");
                for (size_t k = 0; k < p->n_bridges && r >= 0; k++) {
                        char bits[64] = "";

                        if (p->acs[k].present == TRI_YES)
                                acs_bits_text(p->acs[k].ctrl, bits, sizeof(bits));
                        r = strv_pushf(out, "  %s %s, %s%s", m->devices[p->bridges[k]].address,
                                       name_of(&m->devices[p->bridges[k]]),
                                       p->acs[k].present == TRI_YES ? "ACS " : p->acs[k].present == TRI_NO ? "no ACS"
                                                                                                      : "ACS unknown",
                                       p->acs[k].present == TRI_YES ? (*bits ? bits : "capable, none enabled") : "");
                        if (r >= 0)
                                r = strv_push(roles, "d");
                }
        }
        return r;
}

static void draw_groups(const struct wizard *w, const struct gpu_view *v, struct canvas *c, int top, int bottom)
{
        struct strv lines = { 0 }, roles = { 0 };
        int y = top + 1, end = bottom - 1, first, i;

        canvas_text(c, top, 2, CR_NORMAL, "IOMMU groups (as vfio-setup groups shows them):");
        if (group_lines(w, v, &lines, &roles) >= 0) {
                first = v->group_scroll < (int)lines.n - 1 ? v->group_scroll : (int)lines.n - 1;
                if (first < 0)
                        first = 0;
                /* Long lines wrap under their own indentation: nothing is cut at the edge. */
                for (i = first; i < (int)lines.n; i++) {
                        const char *text = lines.v[i];
                        char kind = i < (int)roles.n ? roles.v[i][0] : 'n';
                        int indent = (int)strspn(text, " "), width = c->w - 4 - indent;

                        if (y + canvas_wrap_rows(width, text + indent) > end)
                                break;
                        y = canvas_wrap(c, y, 2 + indent, width,
                                        kind == 't' ? CR_TITLE : kind == 'o' ? CR_OK : kind == 'd' ? CR_DIM
                                        : kind == 'w' ? CR_WARNING : CR_NORMAL, text + indent);
                }
                canvas_more_marks(c, top, end, first > 0, i < (int)lines.n);
        }
        strv_free(&lines);
        strv_free(&roles);
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct gpu_view *v = priv;
        const struct machine *m = w->m;
        int y = top + 1, extra_rows;

        if (m->n_gpus == 0) {
                y = canvas_wrap(c, y, 2, c->w - 4, CR_PROBLEM, "No GPU was found: there is nothing to pass through.");
                canvas_wrap(c, y + 1, 2, c->w - 4, CR_NORMAL,
                            "A GPU is a PCI device of class 0300 (VGA), 0302 (3D) or 0380 (display). If one is "
                            "installed: check that it is seated and powered, and that the firmware has not disabled "
                            "its slot; then run vfio-setup again. Inside a virtual machine, run vfio-setup on the host. "
                            "q quits.");
                return;
        }
        if (v->groups) {
                draw_groups(w, v, c, y, bottom);
                return;
        }
        canvas_printf(c, y++, 2, CR_NORMAL, "%zu GPU%s. Choose the one the guest gets:", m->n_gpus, m->n_gpus == 1 ? "" : "s");
        draw_gpus(w, v, c, &y, top + 1 + 1 + 4);
        extra_rows = v->n_extras < 4 ? (int)v->n_extras : 4;
        draw_extras(w, v, c, &y, extra_rows);
        canvas_hline(c, y++, 2, c->w - 4);
        if (v->ask.n) {
                draw_confirm(w, v, c, y);
                return;
        }
        y = draw_extra_details(w, v, c, y);
        canvas_scrolled(c, y, bottom - y, v->detail_scroll, draw_details_whole,
                        &(struct detail_of){ w, (int)v->cursor }, "PgUp/PgDn scroll");
}

static void allow(struct wizard *w, size_t device, bool yes)
{
        const char *addr = w->m->devices[device].address;

        if (!yes)
                strv_remove(&w->sel.allow_host, addr);
        else if (!strv_contains(&w->sel.allow_host, addr) && strv_push(&w->sel.allow_host, addr) < 0)
                return;
        w->changed = true;
}

/*
 * Whether passing the device takes a way into the host: its own, or, with the GPU under the
 * cursor, its companions and the extras ticked, the last of the GPUs lighting a screen.
 */
static bool host_way_with(const struct wizard *w, const struct gpu_view *v, size_t device)
{
        const struct gpu_info *g = &w->m->gpus[v->cursor];
        struct strv taken = { 0 };
        bool last;
        int r;

        if (device_host_ways(w->m, device))
                return true;
        if (!device_lights_screen(&w->m->devices[device]) || w->m->devices[device].boot_vga == 1 || w->sel.single_gpu ||
            w->sel.handover)
                return false;
        r = strv_merge(&taken, &w->sel.extra);
        for (size_t i = 0; i <= g->n_companions && r >= 0; i++)
                r = strv_push(&taken, w->m->devices[i < g->n_companions ? g->companions[i] : g->device].address);
        last = r < 0 || machine_takes_every_screen(w->m, &taken, device);
        /* One confirmation takes the last screen: another lit GPU taken may have had it. */
        for (size_t i = 0; last && i < w->m->n_devices; i++)
                if (i != device && device_lights_screen(&w->m->devices[i]) && w->m->devices[i].boot_vga != 1 &&
                    strv_contains(&w->sel.allow_host, w->m->devices[i].address))
                        last = false;
        strv_free(&taken);
        return last;
}

static void toggle_extra(struct wizard *w, struct gpu_view *v)
{
        const struct extra *e = &v->extras[v->extra_cursor];
        const char *addr = w->m->devices[e->device].address;

        if (e->host_needs)
                return;
        if (strv_remove(&w->sel.extra, addr) == 0) {
                allow(w, e->device, false);
                w->changed = true;
                return;
        }
        /* The host is reached through it: ticked once the user says so, and not before. */
        if (host_way_with(w, v, e->device) && !strv_contains(&w->sel.allow_host, addr)) {
                v->ask = (struct confirm){ .devices = { e->device }, .n = 1 };
                return;
        }
        if (strv_push(&w->sel.extra, addr) >= 0)
                w->changed = true;
}

/* Keeps the allowances of what the choice passes: the GPU, its companions and the extras. */
static void prune_allowed(struct wizard *w, const struct gpu_info *g)
{
        struct strv keep = { 0 };

        for (size_t i = 0; i < w->sel.allow_host.n; i++) {
                const char *addr = w->sel.allow_host.v[i];
                bool kept = strv_contains(&w->sel.extra, addr) || strcmp(w->m->devices[g->device].address, addr) == 0;

                for (size_t k = 0; k < g->n_companions; k++)
                        kept |= strcmp(w->m->devices[g->companions[k]].address, addr) == 0;
                if (kept && strv_push(&keep, addr) < 0) {
                        strv_free(&keep);
                        return;
                }
        }
        strv_free(&w->sel.allow_host);
        w->sel.allow_host = keep;
}

static enum step_result choose_gpu(struct wizard *w, struct gpu_view *v)
{
        prune_allowed(w, &w->m->gpus[v->cursor]);
        free(w->sel.gpu);
        w->sel.gpu = strdup(w->m->devices[w->m->gpus[v->cursor].device].address);
        /* The GPU chosen is the first: the others ticked with a go with it. */
        if (w->sel.gpu)
                (void)strv_remove(&w->sel.more_gpus, w->sel.gpu);
        w->sel.release = false;
        w->changed = true;
        return STEP_NEXT;
}

/* The GPU under the cursor and its companions that the host is reached through, not yet passed. */
static void ask_gpu(const struct wizard *w, struct gpu_view *v)
{
        const struct gpu_info *g = &w->m->gpus[v->cursor];

        v->ask = (struct confirm){ .gpu = true };
        for (size_t i = 0; i <= g->n_companions; i++) {
                size_t dev = i < g->n_companions ? g->companions[i] : g->device;

                if (host_way_with(w, v, dev) && !strv_contains(&w->sel.allow_host, w->m->devices[dev].address))
                        v->ask.devices[v->ask.n++] = dev;
        }
}

static enum step_result answer(struct wizard *w, struct gpu_view *v, int k)
{
        if (k != 'y') {
                v->ask.n = 0;
                return STEP_HOLD;
        }
        allow(w, v->ask.devices[0], true);
        memmove(v->ask.devices, v->ask.devices + 1, --v->ask.n * sizeof(v->ask.devices[0]));
        if (v->ask.n)
                return STEP_HOLD;
        if (v->ask.gpu)
                return choose_gpu(w, v);
        toggle_extra(w, v);
        return STEP_STAY;
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct gpu_view *v = priv;
        size_t *cur = v->extras_focus ? &v->extra_cursor : &v->cursor;
        size_t n = v->extras_focus ? v->n_extras : w->m->n_gpus;

        if (w->m->n_gpus == 0)
                return k == WK_BACKSPACE || k == WK_ESC ? STEP_STAY : STEP_HOLD;
        if (v->ask.n)
                return answer(w, v, k);
        if (v->groups) {
                struct strv lines = { 0 }, roles = { 0 };
                int last = group_lines(w, v, &lines, &roles) >= 0 ? (int)lines.n - 1 : 0;

                strv_free(&lines);
                strv_free(&roles);
                if (!list_move(&v->group_scroll, last, (w->height ? w->height : 24) - 8, k))
                        v->groups = false;
                return STEP_HOLD;
        }
        /* PgUp/PgDn scroll the pane about the GPU; the lists are short enough for Up/Down, Home/End. */
        if ((k == WK_PGUP || k == WK_PGDN) && !v->extras_focus) {
                list_move(&v->detail_scroll, details_rows(w, (int)v->cursor) - 1, 5, k);
                return STEP_STAY;
        }
        if (k == WK_UP || k == WK_DOWN || k == WK_PGUP || k == WK_PGDN || k == WK_HOME || k == WK_END) {
                int at = (int)*cur;

                list_move(&at, (int)n - 1, (int)n, k);
                *cur = (size_t)at;
                if (!v->extras_focus) {
                        build_extras(v, w->m);
                        v->detail_scroll = 0;
                }
                return STEP_STAY;
        }
        switch (k) {
        case WK_TAB:
                v->extras_focus = !v->extras_focus && v->n_extras > 0;
                return STEP_STAY;
        case 'a':
                /* Another GPU for the guests too: each gets its own checks on the review. */
                if (!v->extras_focus) {
                        const char *addr = w->m->devices[w->m->gpus[v->cursor].device].address;

                        if (strv_remove(&w->sel.more_gpus, addr) < 0 && strv_push(&w->sel.more_gpus, addr) < 0)
                                return STEP_HOLD;
                        w->changed = true;
                }
                return STEP_STAY;
        case 'g':
                v->groups = true;
                v->group_scroll = 0;
                /* Read once: reset methods and config space do not change while the wizard runs. */
                if (!v->gview && w->m->n_groups)
                        (void)group_view_build(w->sr, w->m, GROUPS_ALL, 0, &v->gview);
                return STEP_HOLD;
        case ' ':
                if (v->extras_focus) {
                        toggle_extra(w, v);
                        return STEP_STAY;
                }
                /* Space chooses like Enter outside the extras. */
                __attribute__((fallthrough));
        case WK_ENTER:
        case 'n':
                ask_gpu(w, v);
                return v->ask.n ? STEP_HOLD : choose_gpu(w, v);
        default:
                return STEP_STAY;
        }
}

static const char *keys_now(const struct wizard *w, const void *priv)
{
        const struct gpu_view *v = priv;

        if (w->m->n_gpus == 0)
                return "b back";
        if (v->ask.n)
                return "y pass it anyway  any other key keeps it with the host";
        if (v->groups)
                return "Up/Down PgUp/PgDn scroll  any other key closes the groups";
        if (v->extras_focus)
                return "Enter choose the GPU  Space tick  Tab GPUs  Up/Down move  g groups  b back";
        /* With one GPU there is none to add. */
        return w->m->n_gpus > 1 ? "Enter choose  a add  Up/Down  Tab devices  g groups  b back"
                                : "Enter choose  Up/Down move  Tab devices  g groups  b back";
}

const struct step_ops gpu_step = {
        .title = "GPU choice",
        .help = "Choose the GPU the guest gets. \"ready\" means it can be passed through as it is: its IOMMU group "
                "holds nothing the host needs, it is not the boot display, and another GPU is left for the host; "
                "otherwise the row says what stands in the way. The functions of the same card (HDMI audio, USB-C) "
                "always go along. a marks another GPU to go too (\"also goes\"): Enter then chooses the first, and the review checks each. Tab reaches the devices that may go along: first those sharing the GPU's IOMMU "
                "group, then others alone in their groups; Space ticks one. What the host runs on (the chipset's "
                "bridges, the controller of its disks) is never offered. A device the host is reached through (the "
                "network controller of its default route or ssh session, its only network or USB controller, the "
                "controller of its keyboard or mouse, a GPU lighting a screen) is passed only after y, asked for "
                "each. g shows every IOMMU group with its devices. PgUp/PgDn scroll what is said about the GPU "
                "under the cursor when it is longer than the screen.",
        .keys_now = keys_now,
        .keeps_view = true,
        .private_size = sizeof(struct gpu_view),
        .enter = enter,
        .release = release,
        .draw = draw,
        .key = key,
};
