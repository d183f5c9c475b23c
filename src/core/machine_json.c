/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/findings.h"
#include "vfio-setup/json.h"
#include "vfio-setup/machine_json.h"

/*
 * json-c reports allocation failure by returning NULL from the constructors
 * and -1 from the adders; the builder keeps the first failure so the code
 * stays a flat list of fields, and the document is dropped whole on failure.
 */
struct jb {
        bool failed;
};

static json_object *str(struct jb *b, const char *s)
{
        json_object *o;

        if (!s)
                return NULL;
        o = json_object_new_string(s);
        b->failed |= !o;
        return o;
}

static void put(struct jb *b, json_object *obj, const char *key, json_object *val)
{
        if (!obj || json_object_object_add(obj, key, val) < 0) {
                json_object_put(val);
                b->failed = true;
        }
}

static void push(struct jb *b, json_object *arr, json_object *val)
{
        if (!arr || json_object_array_add(arr, val) < 0) {
                json_object_put(val);
                b->failed = true;
        }
}

static json_object *obj(struct jb *b)
{
        json_object *o = json_object_new_object();

        b->failed |= !o;
        return o;
}

static json_object *arr(struct jb *b)
{
        json_object *a = json_object_new_array();

        b->failed |= !a;
        return a;
}

static json_object *boolean(bool v)
{
        return json_object_new_boolean(v);
}

static json_object *tristate(enum tristate t)
{
        return t == TRI_UNKNOWN ? NULL : json_object_new_boolean(t == TRI_YES);
}

static json_object *strv_array(struct jb *b, const struct strv *l)
{
        json_object *a = arr(b);

        for (size_t i = 0; i < l->n; i++)
                push(b, a, str(b, l->v[i]));
        return a;
}

static json_object *hex4(struct jb *b, bool known, unsigned v)
{
        char buf[8];

        if (!known)
                return NULL;
        snprintf(buf, sizeof(buf), "%04x", v & 0xffffu);
        return str(b, buf);
}

static json_object *group(int id)
{
        return id == PCI_GROUP_NONE ? NULL : json_object_new_int(id);
}

static json_object *addresses(struct jb *b, const struct machine *m, const size_t *idx, size_t n)
{
        json_object *a = arr(b);

        for (size_t i = 0; i < n; i++)
                push(b, a, str(b, m->devices[idx[i]].address));
        return a;
}

static json_object *cpu_list(struct jb *b, const unsigned *cpus, size_t n)
{
        json_object *a = arr(b);

        for (size_t i = 0; i < n; i++)
                push(b, a, json_object_new_int((int)cpus[i]));
        return a;
}

/* Cores with their threads, L3 group and kind; empty when sysfs does not say. */
static json_object *topology(struct jb *b, const struct cpu_topology *t)
{
        static const char *const kinds[] = { [CORE_KIND_ONLY] = "core", [CORE_KIND_PERFORMANCE] = "performance",
                                             [CORE_KIND_EFFICIENCY] = "efficiency" };
        json_object *o = obj(b), *cores = arr(b);

        for (size_t i = 0; i < t->n_cores; i++) {
                json_object *c = obj(b);

                put(b, c, "cpus", cpu_list(b, t->cores[i].cpus, t->cores[i].n_cpus));
                put(b, c, "l3", json_object_new_int((int)t->cores[i].l3));
                put(b, c, "kind", str(b, kinds[t->cores[i].kind]));
                push(b, cores, c);
        }
        put(b, o, "cores", cores);
        put(b, o, "threads", json_object_new_int((int)t->n_threads));
        put(b, o, "l3_groups", json_object_new_int((int)t->n_l3));
        put(b, o, "hybrid", boolean(t->hybrid));
        return o;
}

/* Disks by controller, with what is on them and where the host uses it. */
static json_object *disks(struct jb *b, const struct machine *m)
{
        json_object *a = arr(b);

        for (size_t i = 0; i < m->n_disks; i++) {
                const struct block_disk *d = &m->disks[i];
                json_object *o = obj(b), *parts = arr(b);

                put(b, o, "name", str(b, d->name));
                put(b, o, "by_id", str(b, d->by_id));
                put(b, o, "model", str(b, d->model));
                put(b, o, "bytes", json_object_new_int64((int64_t)d->bytes));
                put(b, o, "controller", str(b, m->devices[d->controller].address));
                for (size_t k = 0; k < d->n_parts; k++) {
                        json_object *p = obj(b);

                        put(b, p, "name", str(b, d->parts[k].name));
                        put(b, p, "fs_type", str(b, d->parts[k].fs_type));
                        put(b, p, "label", str(b, d->parts[k].label));
                        put(b, p, "mounts", strv_array(b, &d->parts[k].mounts));
                        push(b, parts, p);
                }
                put(b, o, "partitions", parts);
                put(b, o, "host_uses", strv_array(b, &d->mounts));
                push(b, a, o);
        }
        return a;
}

static json_object *cpu(struct jb *b, const struct machine *m)
{
        json_object *o = obj(b);

        put(b, o, "vendor", str(b, m->cpu.vendor_string));
        put(b, o, "model", str(b, m->cpu.model));
        put(b, o, "virtualization", boolean(m->cpu.virt_flag != NULL));
        put(b, o, "flag", str(b, m->cpu.virt_flag));
        put(b, o, "hypervisor", boolean(m->cpu.hypervisor));
        put(b, o, "threads", json_object_new_int((int)m->cpu.threads));
        put(b, o, "pdpe1gb", boolean(m->cpu.pdpe1gb));
        put(b, o, "topology", topology(b, &m->topology));
        return o;
}

static json_object *board(struct jb *b, const struct machine *m)
{
        json_object *o = obj(b);

        put(b, o, "vendor", str(b, m->board.vendor));
        put(b, o, "name", str(b, m->board.name));
        put(b, o, "bios_vendor", str(b, m->board.bios_vendor));
        put(b, o, "bios_version", str(b, m->board.bios_version));
        put(b, o, "bios_date", str(b, m->board.bios_date));
        put(b, o, "sys_vendor", str(b, m->board.sys_vendor));
        put(b, o, "product_name", str(b, m->board.product_name));
        put(b, o, "chassis_type", m->board.chassis_type ? json_object_new_int(m->board.chassis_type) : NULL);
        put(b, o, "laptop", boolean(m->board.laptop));
        return o;
}

static json_object *iommu(struct jb *b, const struct machine *m)
{
        json_object *o = obj(b);

        put(b, o, "firmware", boolean(m->iommu.firmware_table != NULL));
        put(b, o, "firmware_table", str(b, m->iommu.firmware_table));
        put(b, o, "kernel_active", boolean(m->iommu.kernel_active));
        put(b, o, "unit_count", json_object_new_int64((int64_t)m->iommu.unit_count));
        put(b, o, "group_count", json_object_new_int64((int64_t)m->iommu.group_count));
        put(b, o, "cmdline", strv_array(b, &m->iommu.cmdline_tokens));
        put(b, o, "acs_override", m->iommu.acs_override == ACS_OVERRIDE_NONE ? NULL : str(b, acs_override_name(m->iommu.acs_override)));
        put(b, o, "acs_evidence", str(b, m->iommu.acs_evidence));
        return o;
}

static json_object *host_ways(struct jb *b, unsigned ways)
{
        json_object *a = arr(b);

        for (int w = 0; w < _HOST_WAY_MAX; w++)
                if (ways & (1u << w))
                        push(b, a, str(b, host_way_name((enum host_way)w)));
        return a;
}

static json_object *net(struct jb *b, const struct machine *m)
{
        json_object *o = obj(b);

        put(b, o, "known", boolean(m->net.known));
        put(b, o, "default_interfaces", strv_array(b, &m->net.default_ifaces));
        put(b, o, "ssh_sessions", strv_array(b, &m->net.ssh_peers));
        return o;
}

static json_object *device(struct jb *b, const struct pci_device *d)
{
        json_object *o = obj(b);
        char cls[8];

        snprintf(cls, sizeof(cls), "%04x", d->class_id);
        put(b, o, "address", str(b, d->address));
        put(b, o, "vendor_id", hex4(b, d->ids_known, d->vendor_id));
        put(b, o, "device_id", hex4(b, d->ids_known, d->device_id));
        put(b, o, "class", d->class_known ? str(b, cls) : NULL);
        put(b, o, "vendor", str(b, d->vendor_name));
        put(b, o, "name", str(b, d->device_name));
        put(b, o, "driver", str(b, d->driver));
        put(b, o, "iommu_group", group(d->iommu_group));
        put(b, o, "boot_vga", d->boot_vga < 0 ? NULL : boolean(d->boot_vga == 1));
        /* Only a USB controller has the list, empty when nothing is plugged in. */
        if (d->class_known && d->class_id == 0x0c03)
                put(b, o, "usb_devices", strv_array(b, &d->usb_devices));
        put(b, o, "net_interfaces", strv_array(b, &d->net_ifaces));
        put(b, o, "inputs", strv_array(b, &d->inputs));
        put(b, o, "screens", strv_array(b, &d->screens));
        put(b, o, "host_ways", host_ways(b, d->host_ways));
        put(b, o, "host_way_texts", strv_array(b, &d->host_way_texts));
        return o;
}

static json_object *gpu(struct jb *b, const struct machine *m, const struct gpu_info *g)
{
        const struct pci_device *d = &m->devices[g->device];
        json_object *o = obj(b);

        put(b, o, "address", str(b, d->address));
        put(b, o, "vendor", str(b, d->vendor_name));
        put(b, o, "name", str(b, d->device_name));
        put(b, o, "iommu_group", group(d->iommu_group));
        put(b, o, "boot_vga", boolean(d->boot_vga == 1));
        put(b, o, "driver", str(b, d->driver));
        put(b, o, "companions", addresses(b, m, g->companions, g->n_companions));
        put(b, o, "blockers", addresses(b, m, g->blockers, g->n_blockers));
        put(b, o, "group_clean", tristate(g->group_clean));
        put(b, o, "vfio_ids", strv_array(b, &g->vfio_ids));
        put(b, o, "passthrough_ok", boolean(g->passthrough_ok));
        put(b, o, "reasons", strv_array(b, &g->reason_texts));
        put(b, o, "reset_quirk", str(b, g->reset_quirk));
        return o;
}

static json_object *evidence(struct jb *b, const char *name, const struct evidence_result *e)
{
        json_object *o = obj(b);

        put(b, o, "name", str(b, name));
        put(b, o, "evidence", strv_array(b, &e->evidence));
        put(b, o, "also_found", strv_array(b, &e->also_found));
        return o;
}

static json_object *esp(struct jb *b, const struct machine *m)
{
        json_object *o = obj(b);

        put(b, o, "path", str(b, m->esp.path));
        put(b, o, "device", str(b, m->esp.device));
        put(b, o, "confirmed", tristate(m->esp.confirmed));
        put(b, o, "evidence", strv_array(b, &m->esp.evidence));
        return o;
}

static json_object *vfio(struct jb *b, const struct machine *m)
{
        json_object *o = obj(b), *ids = arr(b), *sources = arr(b);
        struct strv unique = { 0 };

        for (size_t i = 0; i < m->vfio.n_ids; i++) {
                json_object *s = obj(b);

                put(b, s, "id", str(b, m->vfio.ids[i].id));
                put(b, s, "source", str(b, m->vfio.ids[i].source));
                push(b, sources, s);
                b->failed |= strv_push(&unique, m->vfio.ids[i].id) < 0;
        }
        strv_uniq(&unique);
        for (size_t i = 0; i < unique.n; i++)
                push(b, ids, str(b, unique.v[i]));
        strv_free(&unique);
        put(b, o, "ids", ids);
        put(b, o, "sources", sources);
        put(b, o, "bound", strv_array(b, &m->vfio.bound));
        put(b, o, "builtin", tristate(m->vfio.builtin));
        put(b, o, "kernel", str(b, m->vfio.kernel));
        if (m->vfio.tool.present) {
                json_object *tool = obj(b);

                put(b, tool, "devices", strv_array(b, &m->vfio.tool.devices));
                put(b, tool, "ids", strv_array(b, &m->vfio.tool.ids));
                put(b, tool, "params", strv_array(b, &m->vfio.tool.params));
                put(b, tool, "modules", strv_array(b, &m->vfio.tool.modules));
                put(b, o, "tool", tool);
        } else
                put(b, o, "tool", NULL);
        return o;
}

int machine_to_json(const struct machine *m, char **ret)
{
        struct jb b = { 0 };
        json_object *root = obj(&b), *devices = arr(&b), *groups = arr(&b), *gpus = arr(&b), *distro = obj(&b);
        size_t best;

        put(&b, root, "cpu", cpu(&b, m));
        put(&b, root, "memory_mib", json_object_new_int64((int64_t)m->memory_mib));
        put(&b, root, "board", board(&b, m));
        put(&b, root, "iommu", iommu(&b, m));
        put(&b, root, "network", net(&b, m));
        for (size_t i = 0; i < m->n_devices; i++)
                push(&b, devices, device(&b, &m->devices[i]));
        put(&b, root, "devices", devices);
        for (size_t i = 0; i < m->n_groups; i++) {
                json_object *g = obj(&b);

                put(&b, g, "id", json_object_new_int(m->groups[i].id));
                put(&b, g, "devices", addresses(&b, m, m->groups[i].devices, m->groups[i].n_devices));
                push(&b, groups, g);
        }
        put(&b, root, "groups", groups);
        for (size_t i = 0; i < m->n_gpus; i++)
                push(&b, gpus, gpu(&b, m, &m->gpus[i]));
        put(&b, root, "gpus", gpus);
        put(&b, root, "disks", disks(&b, m));
        put(&b, root, "recommended_gpu",
            machine_recommended_gpu(m, &best) == 0 ? str(&b, m->devices[m->gpus[best].device].address) : NULL);
        put(&b, distro, "id", str(&b, m->distro.id));
        put(&b, distro, "id_like", str(&b, m->distro.id_like));
        put(&b, distro, "name", str(&b, m->distro.name));
        put(&b, distro, "pretty_name", str(&b, m->distro.pretty_name));
        put(&b, distro, "version", str(&b, m->distro.version_id));
        put(&b, root, "distro", distro);
        put(&b, root, "esp", esp(&b, m));
        put(&b, root, "bootloader", evidence(&b, bootloader_name((enum bootloader_kind)m->bootloader.kind), &m->bootloader));
        put(&b, root, "initramfs", evidence(&b, initramfs_name((enum initramfs_kind)m->initramfs.kind), &m->initramfs));
        put(&b, root, "vfio", vfio(&b, m));
        put(&b, root, "warnings", strv_array(&b, &m->warnings));

        if (b.failed) {
                json_object_put(root);
                return -VS_E_JSON;
        }
        return json_finish(root, ret);
}
