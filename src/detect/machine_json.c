/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/findings.h"
#include "vfio-setup/jsonw.h"
#include "vfio-setup/machine_json.h"

/*
 * Written as it goes (jsonw), not built as json-c objects first: a machine with thousands of
 * PCI functions would hold a tree ten times the size of its text.
 */
static void strv_array(struct jsonw *w, const char *key, const struct strv *l)
{
        jsonw_array(w, key);
        for (size_t i = 0; i < l->n; i++)
                jsonw_string(w, NULL, l->v[i]);
        jsonw_end_array(w);
}

static void hex4(struct jsonw *w, const char *key, bool known, unsigned v)
{
        char buf[8];

        if (!known) {
                jsonw_null(w, key);
                return;
        }
        snprintf(buf, sizeof(buf), "%04x", v & 0xffffu);
        jsonw_string(w, key, buf);
}

static void tristate(struct jsonw *w, const char *key, enum tristate t)
{
        if (t == TRI_UNKNOWN)
                jsonw_null(w, key);
        else
                jsonw_bool(w, key, t == TRI_YES);
}

static void group(struct jsonw *w, const char *key, int id)
{
        if (id == PCI_GROUP_NONE)
                jsonw_null(w, key);
        else
                jsonw_int(w, key, id);
}

static void addresses(struct jsonw *w, const char *key, const struct machine *m, const size_t *idx, size_t n)
{
        jsonw_array(w, key);
        for (size_t i = 0; i < n; i++)
                jsonw_string(w, NULL, m->devices[idx[i]].address);
        jsonw_end_array(w);
}

/*
 * The report's objects, one function per struct from its field list (machine.h); the rows
 * marked CUSTOM are the functions below them, named after the row.
 */
#define JSON_HIDE(member, key, sub)
#define JSON_STR(member, key, sub) jsonw_string(w, key, s->member);
#define JSON_STRV(member, key, sub) strv_array(w, key, &s->member);
#define JSON_BOOL(member, key, sub) jsonw_bool(w, key, s->member);
#define JSON_NUM(member, key, sub) jsonw_int(w, key, (int64_t)s->member);
#define JSON_TRI(member, key, sub) tristate(w, key, s->member);
#define JSON_STRUCT(member, key, sub) json_##sub(w, key, m, &s->member);
#define JSON_ARRAY(member, key, sub)                                            \
        jsonw_array(w, key);                                                    \
        for (size_t i_ = 0; i_ < s->n_##member; i_++)                         \
                json_##sub(w, NULL, m, &s->member[i_]);                         \
        jsonw_end_array(w);
#define JSON_CUSTOM(member, key, sub) custom_##member(w, key, m, s);
#define JSON_ROW(owned, shown, member, key, sub) JSON_##shown(member, key, sub)
#define DECLARE_JSON(name, list) \
        static void json_##name(struct jsonw *w, const char *key, const struct machine *m, const struct name *s);
#define DEFINE_JSON(name, list)                                                                                 \
        static void json_##name(struct jsonw *w, const char *key, const struct machine *m, const struct name *s) \
        {                                                                                                       \
                (void)m;                                                                                        \
                jsonw_object(w, key);                                                                           \
                list(JSON_ROW) jsonw_end_object(w);                                                             \
        }
#define MODEL_STRUCTS(X) \
        X(cpu_core, CPU_CORE_FIELDS) X(cpu_topology, CPU_TOPOLOGY_FIELDS) X(cpu_info, CPU_INFO_FIELDS) \
        X(board_info, BOARD_INFO_FIELDS) X(iommu_info, IOMMU_INFO_FIELDS) X(pci_device, PCI_DEVICE_FIELDS) \
        X(host_net, HOST_NET_FIELDS) X(iommu_group, IOMMU_GROUP_FIELDS) X(gpu_info, GPU_INFO_FIELDS) \
        X(block_part, BLOCK_PART_FIELDS) X(block_disk, BLOCK_DISK_FIELDS) X(distro_info, DISTRO_INFO_FIELDS) \
        X(esp_info, ESP_INFO_FIELDS) X(boot_once, BOOT_ONCE_FIELDS) \
        X(vfio_id_source, VFIO_ID_SOURCE_FIELDS) X(vfio_state, VFIO_STATE_FIELDS) X(machine, MACHINE_FIELDS)

MODEL_STRUCTS(DECLARE_JSON)

#define CUSTOM(row, type) \
        static void custom_##row(struct jsonw *w, const char *key, const struct machine *m, const struct type *s)

CUSTOM(virtualization, cpu_info)
{
        (void)m;
        jsonw_bool(w, key, s->virt_flag != NULL);
}

/* The CPU's object carries the machine's topology. */
CUSTOM(topology, cpu_info)
{
        (void)s;
        json_cpu_topology(w, key, m, &m->topology);
}

CUSTOM(cpus, cpu_core)
{
        (void)m;
        jsonw_array(w, key);
        for (size_t i = 0; i < s->n_cpus; i++)
                jsonw_int(w, NULL, s->cpus[i]);
        jsonw_end_array(w);
}

CUSTOM(kind, cpu_core)
{
        static const char *const kinds[] = { [CORE_KIND_ONLY] = "core", [CORE_KIND_PERFORMANCE] = "performance",
                                             [CORE_KIND_EFFICIENCY] = "efficiency" };

        (void)m;
        jsonw_string(w, key, kinds[s->kind]);
}

CUSTOM(chassis_type, board_info)
{
        (void)m;
        if (s->chassis_type)
                jsonw_int(w, key, s->chassis_type);
        else
                jsonw_null(w, key);
}

CUSTOM(firmware, iommu_info)
{
        (void)m;
        jsonw_bool(w, key, s->firmware_table != NULL);
}

CUSTOM(acs_override, iommu_info)
{
        (void)m;
        jsonw_string(w, key, s->acs_override == ACS_OVERRIDE_NONE ? NULL : acs_override_name(s->acs_override));
}

CUSTOM(vendor_id, pci_device)
{
        (void)m;
        hex4(w, key, s->ids_known, s->vendor_id);
}

CUSTOM(device_id, pci_device)
{
        (void)m;
        hex4(w, key, s->ids_known, s->device_id);
}

CUSTOM(class_id, pci_device)
{
        (void)m;
        hex4(w, key, s->class_known, s->class_id);
}

CUSTOM(iommu_group, pci_device)
{
        (void)m;
        group(w, key, s->iommu_group);
}

CUSTOM(boot_vga, pci_device)
{
        (void)m;
        if (s->boot_vga < 0)
                jsonw_null(w, key);
        else
                jsonw_bool(w, key, s->boot_vga == 1);
}

/* Only a USB controller has the list, empty when nothing is plugged in. */
CUSTOM(usb_devices, pci_device)
{
        (void)m;
        if (s->class_known && s->class_id == 0x0c03)
                strv_array(w, key, &s->usb_devices);
}

CUSTOM(host_ways, pci_device)
{
        (void)m;
        jsonw_array(w, key);
        for (int way = 0; way < _HOST_WAY_MAX; way++)
                if (s->host_ways & (1u << way))
                        jsonw_string(w, NULL, host_way_name((enum host_way)way));
        jsonw_end_array(w);
}

CUSTOM(devices, iommu_group)
{
        addresses(w, key, m, s->devices, s->n_devices);
}

/* A GPU's object names its device as the device's own does. */
CUSTOM(device_address, gpu_info)
{
        jsonw_string(w, key, m->devices[s->device].address);
}

CUSTOM(device_vendor, gpu_info)
{
        jsonw_string(w, key, m->devices[s->device].vendor_name);
}

CUSTOM(device_name, gpu_info)
{
        jsonw_string(w, key, m->devices[s->device].device_name);
}

CUSTOM(device_group, gpu_info)
{
        group(w, key, m->devices[s->device].iommu_group);
}

CUSTOM(device_boot_vga, gpu_info)
{
        jsonw_bool(w, key, m->devices[s->device].boot_vga == 1);
}

CUSTOM(device_driver, gpu_info)
{
        jsonw_string(w, key, m->devices[s->device].driver);
}

CUSTOM(companions, gpu_info)
{
        addresses(w, key, m, s->companions, s->n_companions);
}

CUSTOM(blockers, gpu_info)
{
        addresses(w, key, m, s->blockers, s->n_blockers);
}

CUSTOM(controller, block_disk)
{
        jsonw_string(w, key, m->devices[s->controller].address);
}

/* Each id once, whatever number of places name it ("sources" says where). */
CUSTOM(unique_ids, vfio_state)
{
        struct strv unique = { 0 };

        (void)m;
        for (size_t i = 0; i < s->n_ids; i++)
                if (strv_push(&unique, s->ids[i].id) < 0)
                        w->err = -ENOMEM;
        strv_uniq(&unique);
        strv_array(w, key, &unique);
        strv_free(&unique);
}

CUSTOM(tool, vfio_state)
{
        (void)m;
        if (!s->tool.present) {
                jsonw_null(w, key);
                return;
        }
        jsonw_object(w, key);
        strv_array(w, "devices", &s->tool.devices);
        strv_array(w, "ids", &s->tool.ids);
        strv_array(w, "params", &s->tool.params);
        strv_array(w, "modules", &s->tool.modules);
        if (s->tool.trial.n)
                strv_array(w, "trial", &s->tool.trial);
        else
                jsonw_null(w, "trial");
        jsonw_end_object(w);
}

CUSTOM(recommended_gpu, machine)
{
        size_t best;

        jsonw_string(w, key, machine_recommended_gpu(s, &best) == 0 ? m->devices[m->gpus[best].device].address : NULL);
}

/* A boot loader's or generator's name first, then what decided it. */
static void put_evidence(struct jsonw *w, const char *key, const struct machine *m, const char *name,
                         const struct evidence_result *s)
{
        (void)m;
        jsonw_object(w, key);
        jsonw_string(w, "name", name);
        EVIDENCE_RESULT_FIELDS(JSON_ROW)
        jsonw_end_object(w);
}

CUSTOM(bootloader, machine)
{
        put_evidence(w, key, m, bootloader_name((enum bootloader_kind)s->bootloader.kind), &s->bootloader);
}

CUSTOM(initramfs, machine)
{
        put_evidence(w, key, m, initramfs_name((enum initramfs_kind)s->initramfs.kind), &s->initramfs);
}

MODEL_STRUCTS(DEFINE_JSON)

int machine_to_json(const struct machine *m, char **ret)
{
        struct jsonw w = { 0 };
        char *text;
        int r;

        json_machine(&w, NULL, m, m);
        r = jsonw_finish(&w, &text);
        if (r < 0)
                return r == -ENOMEM ? r : -VS_E_JSON;
        *ret = text;
        return 0;
}
