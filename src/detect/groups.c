/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/reset_quirks.h"
#include "vfio-setup/host_needs.h"

struct member {
        int group;
        size_t device;
};

static int cmp_member(const void *a, const void *b)
{
        const struct member *x = a, *y = b;

        if (x->group != y->group)
                return x->group < y->group ? -1 : 1;
        return x->device < y->device ? -1 : x->device > y->device;
}

static int build_groups(struct machine *m)
{
        struct member *members;
        size_t n = 0;

        members = malloc((m->n_devices ? m->n_devices : 1) * sizeof(*members));
        if (!members)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_devices; i++)
                if (m->devices[i].iommu_group != PCI_GROUP_NONE)
                        members[n++] = (struct member){ m->devices[i].iommu_group, i };
        qsort(members, n, sizeof(*members), cmp_member);

        m->groups = calloc(n ? n : 1, sizeof(*m->groups));
        if (!m->groups) {
                free(members);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n;) {
                struct iommu_group *g = &m->groups[m->n_groups++];
                size_t j = i;

                while (j < n && members[j].group == members[i].group)
                        j++;
                g->id = members[i].group;
                g->devices = malloc((j - i) * sizeof(*g->devices));
                if (!g->devices) {
                        free(members);
                        return -ENOMEM;
                }
                for (size_t k = i; k < j; k++)
                        g->devices[g->n_devices++] = members[k].device;
                i = j;
        }
        free(members);
        return 0;
}

static bool same_slot(const struct pci_device *a, const struct pci_device *b)
{
        return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}

static int id_string(const struct pci_device *d, struct strv *l)
{
        return strv_pushf(l, "%04x:%04x", d->vendor_id, d->device_id);
}

/* Devices sort by address, so a slot's functions are one run around the GPU. */
static void slot_run(const struct machine *m, size_t i, size_t *ret_first, size_t *ret_end)
{
        size_t first = i, end = i + 1;

        while (first > 0 && same_slot(&m->devices[first - 1], &m->devices[i]))
                first--;
        while (end < m->n_devices && same_slot(&m->devices[end], &m->devices[i]))
                end++;
        *ret_first = first;
        *ret_end = end;
}

static int cmp_index(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;

        return x < y ? -1 : x > y;
}

/*
 * A function of the GPU's slot that belongs to the card: in the GPU's own IOMMU group, or made by
 * the GPU's vendor (HDMI audio, USB-C, UCSI), whatever its group.  An APU's slot also holds the
 * SoC's own functions (PSP, USB controllers, audio coprocessors) under the CPU vendor's id, each
 * in a group of its own: those are the platform's and stay with the host.  Without groups (the
 * IOMMU still off) nothing says a function is in another group, and vfio will want the whole
 * group: the slot's functions count as the card's, and the plan holds back those the host needs.
 */
static bool card_function(const struct pci_device *gpu, const struct pci_device *d)
{
        if (d->iommu_group == gpu->iommu_group)
                return true;
        return gpu->ids_known && d->ids_known && d->vendor_id == gpu->vendor_id;
}

static bool is_member(const struct gpu_info *g, size_t dev)
{
        if (dev == g->device)
                return true;
        for (size_t i = 0; i < g->n_companions; i++)
                if (g->companions[i] == dev)
                        return true;
        return false;
}

/* The devices sharing a group with the GPU or a companion that are neither, nor a bridge. */
static int find_blockers(const struct machine *m, struct gpu_info *g)
{
        /* A slot has eight functions at most: so many groups at most. */
        int seen[8] = { 0 };
        size_t n_seen = 0, cap = 0;

        for (size_t i = 0; i <= g->n_companions; i++) {
                size_t dev = i < g->n_companions ? g->companions[i] : g->device;
                int id = m->devices[dev].iommu_group;
                const struct iommu_group *grp;
                bool dup = false;

                for (size_t k = 0; k < n_seen; k++)
                        dup |= seen[k] == id;
                if (id == PCI_GROUP_NONE || dup || !(grp = machine_find_group(m, id)))
                        continue;
                if (n_seen < sizeof(seen) / sizeof(seen[0]))
                        seen[n_seen++] = id;
                for (size_t k = 0; k < grp->n_devices; k++) {
                        const struct pci_device *d = &m->devices[grp->devices[k]];

                        if (is_member(g, grp->devices[k]))
                                continue;
                        /* A device whose class is unknown may be anything: it blocks. */
                        if (d->class_known && pci_class_is_host_side_bridge(d->class_id))
                                continue;
                        if (g->n_blockers == cap) {
                                size_t *v = realloc(g->blockers, (cap = cap ? cap * 2 : 4) * sizeof(*v));
                                if (!v)
                                        return -ENOMEM;
                                g->blockers = v;
                        }
                        g->blockers[g->n_blockers++] = grp->devices[k];
                }
        }
        if (g->n_blockers > 1)
                qsort(g->blockers, g->n_blockers, sizeof(*g->blockers), cmp_index);
        return 0;
}

static int add_reason(struct gpu_info *g, enum gpu_reason r, const char *detail)
{
        g->reasons |= 1u << r;
        if (gpu_reason_blocking(r))
                g->passthrough_ok = false;
        if (detail)
                return strv_pushf(&g->reason_texts, "%s: %s", gpu_reason_text(r), detail);
        return strv_push(&g->reason_texts, gpu_reason_text(r));
}

static int list_addresses(const struct machine *m, const size_t *idx, size_t n, char **ret)
{
        struct strv l = { 0 };
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++)
                r = strv_push(&l, m->devices[idx[i]].address);
        if (r >= 0 && !(*ret = strv_join(&l, ", ")))
                r = -ENOMEM;
        strv_free(&l);
        return r;
}

static int host_disk_reason(const struct machine *m, struct gpu_info *g, size_t device)
{
        char *uses, *detail = NULL;
        size_t disk;
        int r;

        if (controller_host_disk(m, device, &disk) < 0)
                return 0;
        uses = disk_uses(&m->disks[disk]);
        if (!uses || asprintf(&detail, "%s holds %s (%s)", m->devices[device].address, m->disks[disk].name, uses) < 0) {
                free(uses);
                return -ENOMEM;
        }
        r = add_reason(g, GPU_REASON_HOST_DISK, detail);
        free(uses);
        free(detail);
        return r;
}

/* The card's functions the host is reached through: a keyboard on its USB-C port, its screens. */
static int host_way_reason(const struct machine *m, struct gpu_info *g)
{
        struct strv texts = { 0 };
        char *detail;
        int r = 0;

        for (size_t i = 0; i <= g->n_companions && r >= 0; i++) {
                size_t dev = i < g->n_companions ? g->companions[i] : g->device;
                char *list;

                if (!device_host_ways(m, dev))
                        continue;
                list = strv_join(&m->devices[dev].host_way_texts, " and ");
                r = list ? strv_pushf(&texts, "%s is %s", m->devices[dev].address, list) : -ENOMEM;
                free(list);
        }
        if (r >= 0 && texts.n) {
                detail = strv_join(&texts, "; ");
                r = detail ? add_reason(g, GPU_REASON_HOST_WAY, detail) : -ENOMEM;
                free(detail);
        }
        strv_free(&texts);
        return r;
}

static int judge(const struct machine *m, const struct reset_quirks *quirks, struct gpu_info *g)
{
        const struct pci_device *d = &m->devices[g->device];
        const char *family;
        char *detail = NULL;
        int r = 0;

        g->passthrough_ok = true;
        if (!m->iommu.kernel_active)
                r = add_reason(g, GPU_REASON_IOMMU_OFF, NULL);
        else if (d->iommu_group == PCI_GROUP_NONE)
                r = add_reason(g, GPU_REASON_NO_GROUP, NULL);
        if (r >= 0 && g->n_blockers > 0 && (r = list_addresses(m, g->blockers, g->n_blockers, &detail)) >= 0)
                r = add_reason(g, GPU_REASON_DIRTY_GROUP, detail);
        free(detail);
        if (r >= 0 && d->boot_vga == 1)
                r = add_reason(g, GPU_REASON_BOOT_VGA, NULL);
        /* vfio-pci takes the whole slot at boot: a disk the host mounts behind its USB controller would vanish. */
        for (size_t i = 0; r >= 0 && i <= g->n_companions; i++)
                r = host_disk_reason(m, g, i < g->n_companions ? g->companions[i] : g->device);
        if (r >= 0)
                r = host_way_reason(m, g);
        /* Whatever the verdict, a group an override made up is not the hardware's isolation. */
        if (r >= 0 && d->iommu_group != PCI_GROUP_NONE && acs_override_shown(&m->iommu))
                r = add_reason(g, GPU_REASON_ACS_OVERRIDE,
                               m->iommu.acs_override == ACS_OVERRIDE_CLAIMED ? "claimed, not proven" : NULL);
        if (r >= 0 && machine_display_on_only_gpu(m))
                r = add_reason(g, GPU_REASON_ONLY_GPU, NULL);
        if (r >= 0 && !d->ids_known)
                r = add_reason(g, GPU_REASON_UNKNOWN_IDS, NULL);
        for (size_t i = 0; r >= 0 && d->ids_known && i < m->n_gpus; i++) {
                const struct pci_device *o = &m->devices[m->gpus[i].device];

                if (o != d && o->ids_known && o->vendor_id == d->vendor_id && o->device_id == d->device_id) {
                        r = add_reason(g, GPU_REASON_IDENTICAL, o->address);
                        break;
                }
        }
        if (r >= 0 && d->driver && strcmp(d->driver, "vfio-pci") == 0)
                r = add_reason(g, GPU_REASON_BOUND_VFIO, NULL);
        if (r >= 0 && d->ids_known && (family = reset_quirks_find(quirks, d->vendor_id, d->device_id)) &&
            !(g->reset_quirk = strdup(family)))
                r = -ENOMEM;
        return r;
}

int detect_groups(struct machine *m)
{
        struct reset_quirks *quirks = NULL;
        size_t n = 0;
        int r;

        r = build_groups(m);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_devices; i++)
                n += m->devices[i].class_known && pci_class_is_gpu(m->devices[i].class_id);
        m->gpus = calloc(n ? n : 1, sizeof(*m->gpus));
        if (!m->gpus)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_devices; i++)
                if (m->devices[i].class_known && pci_class_is_gpu(m->devices[i].class_id))
                        m->gpus[m->n_gpus++].device = i;

        /* Advisory only: without the data file there is just no warning. */
        r = m->n_gpus > 0 ? reset_quirks_load(&quirks) : 0;
        if (r == -ENOMEM)
                return r;
        r = 0;
        for (size_t k = 0; k < m->n_gpus && r >= 0; k++) {
                struct gpu_info *g = &m->gpus[k];
                size_t first, end;

                slot_run(m, g->device, &first, &end);
                g->companions = malloc((end - first) * sizeof(*g->companions));
                if (!g->companions) {
                        r = -ENOMEM;
                        break;
                }
                for (size_t i = first; i < end && r >= 0; i++) {
                        if (i != g->device && !card_function(&m->devices[g->device], &m->devices[i]))
                                continue;
                        if (i != g->device)
                                g->companions[g->n_companions++] = i;
                        if (m->devices[i].ids_known)
                                r = id_string(&m->devices[i], &g->vfio_ids);
                }
                strv_uniq(&g->vfio_ids);

                /*
                 * A GPU the kernel left out of every group (intel_iommu=igfx_off) is not ready for that
                 * reason; its companions' groups may still hold blockers, and without any it is clean.
                 */
                g->group_clean = TRI_UNKNOWN;
                if (r >= 0 && m->iommu.kernel_active) {
                        r = find_blockers(m, g);
                        if (r >= 0)
                                g->group_clean = g->n_blockers == 0 ? TRI_YES : TRI_NO;
                }
                if (r >= 0)
                        r = judge(m, quirks, g);
        }
        reset_quirks_free(quirks);
        return r;
}
