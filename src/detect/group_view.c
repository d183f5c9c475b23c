/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/group_view.h"
#include "vfio-setup/host_needs.h"

#define PCI_EXT_CAP_START 0x100
#define PCI_EXT_CAP_ID_ACS 0x000d
#define PCI_CONFIG_MAX 4096

static uint32_t le32(const unsigned char *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct acs_info acs_from_config(const unsigned char *config, size_t len)
{
        struct acs_info a = { .present = TRI_UNKNOWN };
        size_t at = PCI_EXT_CAP_START;

        /*
         * Without the extended space nothing can be told: the kernel gives 64 bytes to a reader
         * without CAP_SYS_ADMIN, and 256 for a device (or platform) without extended config space.
         */
        if (len < PCI_EXT_CAP_START + 4) {
                a.unprivileged = len <= 64;
                return a;
        }
        a.present = TRI_NO;
        /* A chain longer than the space can hold is a loop. */
        for (int hops = 0; hops < (PCI_CONFIG_MAX - PCI_EXT_CAP_START) / 4 && at + 4 <= len; hops++) {
                uint32_t header = le32(config + at);

                if (header == 0 || header == 0xffffffffu)
                        break;
                if ((header & 0xffff) == PCI_EXT_CAP_ID_ACS) {
                        if (at + 8 > len)
                                break;
                        a.present = TRI_YES;
                        a.cap = (uint16_t)(config[at + 4] | config[at + 5] << 8);
                        a.ctrl = (uint16_t)(config[at + 6] | config[at + 7] << 8);
                        break;
                }
                at = (header >> 20) & 0xffc;
                if (at < PCI_EXT_CAP_START)
                        break;
        }
        return a;
}

void acs_bits_text(uint16_t bits, char *buf, size_t size)
{
        static const char *const names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (bits & (1u << i))
                        used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "%s%s", used ? " " : "",
                                                 names[i]);
}

static struct acs_info read_acs(const struct sysroot *sr, const struct pci_device *d)
{
        char path[96], *config = NULL;
        size_t len = 0;
        struct acs_info a = { .present = TRI_UNKNOWN };

        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/config", d->address);
        if (sysroot_read(sr, path, PCI_CONFIG_MAX, &config, &len) < 0)
                return a;
        a = acs_from_config((const unsigned char *)config, len);
        free(config);
        return a;
}

bool group_view_is_bridge(const struct pci_device *d)
{
        return pci_class_is_host_side_bridge(d->class_id) && d->class_id != 0x0600;
}

/* The slot's other functions of each GPU and the GPU: the devices whose groups --gpus shows. */
static bool gpu_related(const struct machine *m, size_t device)
{
        for (size_t i = 0; i < m->n_gpus; i++) {
                const struct gpu_info *g = &m->gpus[i];

                if (g->device == device)
                        return true;
                for (size_t k = 0; k < g->n_companions; k++)
                        if (g->companions[k] == device)
                                return true;
        }
        return false;
}

/* Why the host keeps a member (device_host_needs); NULL when it can go. */
static char *member_host_needs(const struct machine *m, size_t device)
{
        size_t disk;

        /* Bridges are not given to guests: vfio leaves them to the host whatever their group. */
        if (group_view_is_bridge(&m->devices[device]))
                return NULL;
        /* The slot goes with its GPU, as detect and plan have it: only a disk the host uses holds it back. */
        if (gpu_related(m, device) && controller_host_disk(m, device, &disk) < 0)
                return NULL;
        return device_host_needs(m, device);
}

static int read_member(const struct sysroot *sr, const struct machine *m, size_t device, struct group_member *ret)
{
        struct group_member g = { .device = device };
        const struct pci_device *d = &m->devices[device];
        char path[96];

        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/reset_method", d->address);
        /* Older kernels have no reset_method: the reset is then the kernel's choice, unnamed. */
        if (sysroot_read_line(sr, path, &g.reset_method) == -ENOMEM)
                return -ENOMEM;
        if (g.reset_method && !*g.reset_method) {
                free(g.reset_method);
                g.reset_method = NULL;
        }
        g.acs = read_acs(sr, d);
        g.host_needs = member_host_needs(m, device);
        g.host_ways = device_host_ways(m, device);
        *ret = g;
        return 0;
}

static bool group_wanted(const struct machine *m, const struct iommu_group *g, enum group_filter filter, int id)
{
        if (filter == GROUPS_ONE)
                return g->id == id;
        if (filter == GROUPS_ALL)
                return true;
        for (size_t i = 0; i < g->n_devices; i++)
                if (gpu_related(m, g->devices[i]))
                        return true;
        return false;
}

static void entry_free(struct group_entry *e)
{
        for (size_t i = 0; i < e->n_members; i++) {
                free(e->members[i].reset_method);
                free(e->members[i].host_needs);
        }
        free(e->members);
}

static int build_entry(const struct sysroot *sr, const struct machine *m, int id, const size_t *devices, size_t n,
                       struct group_entry *ret)
{
        struct group_entry e = { .id = id, .whole_ok = id != PCI_GROUP_NONE, .host_only = true,
                                 .acs_override = id != PCI_GROUP_NONE && acs_override_shown(&m->iommu) };

        e.members = calloc(n ? n : 1, sizeof(*e.members));
        if (!e.members)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct group_member *gm = &e.members[e.n_members];

                if (read_member(sr, m, devices[i], gm) < 0) {
                        entry_free(&e);
                        return -ENOMEM;
                }
                e.n_members++;
                e.host_way |= gm->host_ways != 0;
                if (gm->host_needs)
                        e.whole_ok = false;
                else if (!group_view_is_bridge(&m->devices[devices[i]]))
                        e.host_only = false;
        }
        *ret = e;
        return 0;
}

/* The devices in no group that the filter keeps: all of them, or a GPU's; none for one group. */
static int build_ungrouped(const struct sysroot *sr, const struct machine *m, enum group_filter filter,
                           struct group_entry *ret)
{
        size_t *devices = calloc(m->n_devices ? m->n_devices : 1, sizeof(*devices)), n = 0;
        int r;

        if (!devices)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_devices && filter != GROUPS_ONE; i++)
                if (m->devices[i].iommu_group == PCI_GROUP_NONE && (filter == GROUPS_ALL || gpu_related(m, i)))
                        devices[n++] = i;
        r = build_entry(sr, m, PCI_GROUP_NONE, devices, n, ret);
        free(devices);
        return r;
}

/*
 * The bridges above a device, from its sysfs path: the kernel nests each
 * device under the bridge it sits behind ("devices/pci0000:00/0000:00:01.0/
 * 0000:01:00.0").  A tree that lists devices flat has none to show.
 */
static int build_path(const struct sysroot *sr, const struct machine *m, size_t gpu, struct gpu_path *ret)
{
        struct gpu_path p = { .gpu = gpu };
        char path[96], *target = NULL, *save = NULL;
        size_t n = 0;
        int r;

        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s", m->devices[gpu].address);
        r = sysroot_readlink(sr, path, &target);
        if (r < 0) {
                *ret = p;
                return r == -ENOMEM ? r : 0;
        }
        for (char *c = target; *c; c++)
                n += *c == '/';
        p.bridges = calloc(n + 1, sizeof(*p.bridges));
        p.acs = calloc(n + 1, sizeof(*p.acs));
        if (!p.bridges || !p.acs) {
                free(p.bridges);
                free(p.acs);
                free(target);
                return -ENOMEM;
        }
        for (char *part = strtok_r(target, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                size_t idx;

                if (machine_find_device(m, part, &idx) < 0 || idx == gpu ||
                    !pci_class_is_host_side_bridge(m->devices[idx].class_id))
                        continue;
                p.acs[p.n_bridges] = read_acs(sr, &m->devices[idx]);
                p.bridges[p.n_bridges++] = idx;
        }
        free(target);
        *ret = p;
        return 0;
}

const char *group_entry_verdict(const struct group_entry *e)
{
        /* [whole, part kept, kept][host reached through it][override] */
        static const char *const verdicts[3][2][2] = {
                { { "can go to a guest whole",
                    "can go to a guest whole, by the ACS override's grouping, not the hardware's isolation" },
                  { "can go to a guest whole, but the host is reached through it",
                    "can go to a guest whole, but the host is reached through it; grouped by the ACS override, not "
                    "the hardware's isolation" } },
                { { "the host keeps part of it", "the host keeps part of it; grouped by the ACS override" },
                  { "the host keeps part of it", "the host keeps part of it; grouped by the ACS override" } },
                { { "stays with the host", "stays with the host; grouped by the ACS override" },
                  { "stays with the host", "stays with the host; grouped by the ACS override" } },
        };

        if (e->id == PCI_GROUP_NONE)
                return "none can go to a guest: the IOMMU does not translate for them";
        return verdicts[e->whole_ok ? 0 : e->host_only ? 2 : 1][e->host_way][e->acs_override];
}

void group_view_free(struct group_view *v)
{
        if (!v)
                return;
        for (size_t i = 0; i < v->n_groups; i++)
                entry_free(&v->groups[i]);
        free(v->groups);
        entry_free(&v->ungrouped);
        for (size_t i = 0; i < v->n_paths; i++) {
                free(v->paths[i].bridges);
                free(v->paths[i].acs);
        }
        free(v->paths);
        free(v);
}

int group_view_build(const struct sysroot *sr, const struct machine *m, enum group_filter filter, int group,
                     struct group_view **ret)
{
        struct group_view *v;
        int r = 0;

        if (!m->n_groups)
                return -ENODATA;
        if (filter == GROUPS_ONE && !machine_find_group(m, group))
                return -ENOENT;
        v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        v->groups = calloc(m->n_groups, sizeof(*v->groups));
        v->paths = calloc(m->n_gpus ? m->n_gpus : 1, sizeof(*v->paths));
        if (!v->groups || !v->paths) {
                group_view_free(v);
                return -ENOMEM;
        }
        for (size_t i = 0; i < m->n_groups && r >= 0; i++) {
                if (!group_wanted(m, &m->groups[i], filter, group))
                        continue;
                r = build_entry(sr, m, m->groups[i].id, m->groups[i].devices, m->groups[i].n_devices,
                                &v->groups[v->n_groups]);
                if (r >= 0)
                        v->n_groups++;
        }
        if (r >= 0)
                r = build_ungrouped(sr, m, filter, &v->ungrouped);
        for (size_t i = 0; i < m->n_gpus && r >= 0; i++) {
                const struct pci_device *d = &m->devices[m->gpus[i].device];
                bool shown = false;

                for (size_t k = 0; k < v->n_groups; k++)
                        shown = shown || v->groups[k].id == d->iommu_group;
                for (size_t k = 0; k < v->ungrouped.n_members; k++)
                        shown = shown || v->ungrouped.members[k].device == m->gpus[i].device;
                if (!shown)
                        continue;
                r = build_path(sr, m, m->gpus[i].device, &v->paths[v->n_paths]);
                if (r >= 0)
                        v->n_paths++;
        }
        if (r < 0) {
                group_view_free(v);
                return r;
        }
        *ret = v;
        return 0;
}
