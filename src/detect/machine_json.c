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

/*
 * The report's objects, one function per struct from its field list (machine.h); the rows
 * marked CUSTOM are the functions below them, named after the row.
 */
#define JSON_HIDE(member, key, sub)
#define JSON_STR(member, key, sub) put(b, o, key, str(b, s->member));
#define JSON_STRV(member, key, sub) put(b, o, key, strv_array(b, &s->member));
#define JSON_BOOL(member, key, sub) put(b, o, key, boolean(s->member));
#define JSON_NUM(member, key, sub) put(b, o, key, json_object_new_int64((int64_t)s->member));
#define JSON_TRI(member, key, sub) put(b, o, key, tristate(s->member));
#define JSON_STRUCT(member, key, sub) put(b, o, key, json_##sub(b, m, &s->member));
#define JSON_ARRAY(member, key, sub)                                            \
        {                                                                       \
                json_object *a_ = arr(b);                                       \
                for (size_t i_ = 0; i_ < s->n_##member; i_++)                 \
                        push(b, a_, json_##sub(b, m, &s->member[i_]));          \
                put(b, o, key, a_);                                             \
        }
#define JSON_CUSTOM(member, key, sub) custom_##member(b, o, key, m, s);
#define JSON_ROW(owned, shown, member, key, sub) JSON_##shown(member, key, sub)
#define DECLARE_JSON(name, list) \
        static json_object *json_##name(struct jb *b, const struct machine *m, const struct name *s);
#define DEFINE_JSON(name, list)                                                                        \
        static json_object *json_##name(struct jb *b, const struct machine *m, const struct name *s)  \
        {                                                                                              \
                json_object *o = obj(b);                                                               \
                (void)m;                                                                               \
                list(JSON_ROW) return o;                                                               \
        }
#define MODEL_STRUCTS(X) \
        X(cpu_core, CPU_CORE_FIELDS) X(cpu_topology, CPU_TOPOLOGY_FIELDS) X(cpu_info, CPU_INFO_FIELDS) \
        X(board_info, BOARD_INFO_FIELDS) X(iommu_info, IOMMU_INFO_FIELDS) X(pci_device, PCI_DEVICE_FIELDS) \
        X(host_net, HOST_NET_FIELDS) X(iommu_group, IOMMU_GROUP_FIELDS) X(gpu_info, GPU_INFO_FIELDS) \
        X(block_part, BLOCK_PART_FIELDS) X(block_disk, BLOCK_DISK_FIELDS) X(distro_info, DISTRO_INFO_FIELDS) \
        X(esp_info, ESP_INFO_FIELDS) X(boot_once, BOOT_ONCE_FIELDS) \
        X(vfio_id_source, VFIO_ID_SOURCE_FIELDS) X(vfio_state, VFIO_STATE_FIELDS) X(machine, MACHINE_FIELDS)

MODEL_STRUCTS(DECLARE_JSON)

#define CUSTOM(row, type)                                                                                   \
        static void custom_##row(struct jb *b, json_object *o, const char *key, const struct machine *m,   \
                                 const struct type *s)

CUSTOM(virtualization, cpu_info)
{
        (void)m;
        put(b, o, key, boolean(s->virt_flag != NULL));
}

/* The CPU's object carries the machine's topology. */
CUSTOM(topology, cpu_info)
{
        (void)s;
        put(b, o, key, json_cpu_topology(b, m, &m->topology));
}

CUSTOM(cpus, cpu_core)
{
        (void)m;
        put(b, o, key, cpu_list(b, s->cpus, s->n_cpus));
}

CUSTOM(kind, cpu_core)
{
        static const char *const kinds[] = { [CORE_KIND_ONLY] = "core", [CORE_KIND_PERFORMANCE] = "performance",
                                             [CORE_KIND_EFFICIENCY] = "efficiency" };

        (void)m;
        put(b, o, key, str(b, kinds[s->kind]));
}

CUSTOM(chassis_type, board_info)
{
        (void)m;
        put(b, o, key, s->chassis_type ? json_object_new_int(s->chassis_type) : NULL);
}

CUSTOM(firmware, iommu_info)
{
        (void)m;
        put(b, o, key, boolean(s->firmware_table != NULL));
}

CUSTOM(acs_override, iommu_info)
{
        (void)m;
        put(b, o, key, s->acs_override == ACS_OVERRIDE_NONE ? NULL : str(b, acs_override_name(s->acs_override)));
}

CUSTOM(vendor_id, pci_device)
{
        (void)m;
        put(b, o, key, hex4(b, s->ids_known, s->vendor_id));
}

CUSTOM(device_id, pci_device)
{
        (void)m;
        put(b, o, key, hex4(b, s->ids_known, s->device_id));
}

CUSTOM(class_id, pci_device)
{
        (void)m;
        put(b, o, key, hex4(b, s->class_known, s->class_id));
}

CUSTOM(iommu_group, pci_device)
{
        (void)m;
        put(b, o, key, group(s->iommu_group));
}

CUSTOM(boot_vga, pci_device)
{
        (void)m;
        put(b, o, key, s->boot_vga < 0 ? NULL : boolean(s->boot_vga == 1));
}

/* Only a USB controller has the list, empty when nothing is plugged in. */
CUSTOM(usb_devices, pci_device)
{
        (void)m;
        if (s->class_known && s->class_id == 0x0c03)
                put(b, o, key, strv_array(b, &s->usb_devices));
}

CUSTOM(host_ways, pci_device)
{
        json_object *a = arr(b);

        (void)m;
        for (int w = 0; w < _HOST_WAY_MAX; w++)
                if (s->host_ways & (1u << w))
                        push(b, a, str(b, host_way_name((enum host_way)w)));
        put(b, o, key, a);
}

CUSTOM(devices, iommu_group)
{
        put(b, o, key, addresses(b, m, s->devices, s->n_devices));
}

/* A GPU's object names its device as the device's own does. */
CUSTOM(device_address, gpu_info)
{
        put(b, o, key, str(b, m->devices[s->device].address));
}

CUSTOM(device_vendor, gpu_info)
{
        put(b, o, key, str(b, m->devices[s->device].vendor_name));
}

CUSTOM(device_name, gpu_info)
{
        put(b, o, key, str(b, m->devices[s->device].device_name));
}

CUSTOM(device_group, gpu_info)
{
        put(b, o, key, group(m->devices[s->device].iommu_group));
}

CUSTOM(device_boot_vga, gpu_info)
{
        put(b, o, key, boolean(m->devices[s->device].boot_vga == 1));
}

CUSTOM(device_driver, gpu_info)
{
        put(b, o, key, str(b, m->devices[s->device].driver));
}

CUSTOM(companions, gpu_info)
{
        put(b, o, key, addresses(b, m, s->companions, s->n_companions));
}

CUSTOM(blockers, gpu_info)
{
        put(b, o, key, addresses(b, m, s->blockers, s->n_blockers));
}

CUSTOM(controller, block_disk)
{
        put(b, o, key, str(b, m->devices[s->controller].address));
}

/* Each id once, whatever number of places name it ("sources" says where). */
CUSTOM(unique_ids, vfio_state)
{
        json_object *ids = arr(b);
        struct strv unique = { 0 };

        (void)m;
        for (size_t i = 0; i < s->n_ids; i++)
                b->failed |= strv_push(&unique, s->ids[i].id) < 0;
        strv_uniq(&unique);
        for (size_t i = 0; i < unique.n; i++)
                push(b, ids, str(b, unique.v[i]));
        strv_free(&unique);
        put(b, o, key, ids);
}

CUSTOM(tool, vfio_state)
{
        json_object *tool;

        (void)m;
        if (!s->tool.present) {
                put(b, o, key, NULL);
                return;
        }
        tool = obj(b);
        put(b, tool, "devices", strv_array(b, &s->tool.devices));
        put(b, tool, "ids", strv_array(b, &s->tool.ids));
        put(b, tool, "params", strv_array(b, &s->tool.params));
        put(b, tool, "modules", strv_array(b, &s->tool.modules));
        put(b, tool, "trial", s->tool.trial.n ? strv_array(b, &s->tool.trial) : NULL);
        put(b, o, key, tool);
}

CUSTOM(recommended_gpu, machine)
{
        size_t best;

        put(b, o, key, machine_recommended_gpu(s, &best) == 0 ? str(b, m->devices[m->gpus[best].device].address) : NULL);
}

/* A boot loader's or generator's name first, then what decided it. */
static void put_evidence(struct jb *b, json_object *parent, const char *key, const struct machine *m,
                         const char *name, const struct evidence_result *s)
{
        json_object *o = obj(b);

        (void)m;
        put(b, o, "name", str(b, name));
        EVIDENCE_RESULT_FIELDS(JSON_ROW)
        put(b, parent, key, o);
}

CUSTOM(bootloader, machine)
{
        put_evidence(b, o, key, m, bootloader_name((enum bootloader_kind)s->bootloader.kind), &s->bootloader);
}

CUSTOM(initramfs, machine)
{
        put_evidence(b, o, key, m, initramfs_name((enum initramfs_kind)s->initramfs.kind), &s->initramfs);
}

MODEL_STRUCTS(DEFINE_JSON)

int machine_to_json(const struct machine *m, char **ret)
{
        struct jb b = { 0 };
        json_object *root = json_machine(&b, m, m);

        if (b.failed) {
                json_object_put(root);
                return -VS_E_JSON;
        }
        return json_finish(root, ret);
}
