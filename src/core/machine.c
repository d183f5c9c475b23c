/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "vfio-setup/machine.h"
#include "vfio-setup/pciaddr.h"

#define NAME_ROW(id, name, ...) [BOOTLOADER_##id] = name,
static const char *const bootloader_names[_BOOTLOADER_MAX] = { BOOTLOADERS(NAME_ROW) };
#undef NAME_ROW
#define NOTE_ROW(id, name, emitter, note) [BOOTLOADER_##id] = note,
static const char *const bootloader_notes[_BOOTLOADER_MAX] = { BOOTLOADERS(NOTE_ROW) };
#undef NOTE_ROW
#define NAME_ROW(id, name, ...) [INITRAMFS_##id] = name,
static const char *const initramfs_names[_INITRAMFS_MAX] = { INITRAMFS_GENERATORS(NAME_ROW) };
#undef NAME_ROW

static const struct {
        bool blocking;
        const char *text;
} gpu_reasons[_GPU_REASON_MAX] = {
#define GPU_REASON_ROW(name, b, t) [GPU_REASON_##name] = { b, t },
        GPU_REASONS(GPU_REASON_ROW)
#undef GPU_REASON_ROW
};

static const struct {
        const char *name, *text;
} host_ways[_HOST_WAY_MAX] = {
#define HOST_WAY_ROW(id, n, t) [HOST_WAY_##id] = { n, t },
        HOST_WAYS(HOST_WAY_ROW)
#undef HOST_WAY_ROW
};

const char *acs_override_name(enum acs_override a)
{
        static const char *const names[] = { [ACS_OVERRIDE_NONE] = "", [ACS_OVERRIDE_IGNORED] = "ignored",
                                             [ACS_OVERRIDE_CLAIMED] = "claimed", [ACS_OVERRIDE_IN_USE] = "in-use" };

        return a >= 0 && a <= ACS_OVERRIDE_IN_USE ? names[a] : "";
}

bool acs_override_shown(const struct iommu_info *i)
{
        return i->acs_override == ACS_OVERRIDE_IN_USE || i->acs_override == ACS_OVERRIDE_CLAIMED;
}

const char *host_way_name(enum host_way w)
{
        return w >= 0 && w < _HOST_WAY_MAX ? host_ways[w].name : "";
}

const char *host_way_text(enum host_way w)
{
        return w >= 0 && w < _HOST_WAY_MAX ? host_ways[w].text : "";
}

bool device_lights_screen(const struct pci_device *d)
{
        return d->screens.n && d->class_known && pci_class_is_gpu(d->class_id);
}

bool machine_takes_every_screen(const struct machine *m, const struct strv *taken, size_t also)
{
        size_t lit = 0;

        for (size_t i = 0; i < m->n_devices; i++) {
                if (!device_lights_screen(&m->devices[i]))
                        continue;
                if (i != also && !strv_contains(taken, m->devices[i].address))
                        return false;
                lit++;
        }
        return lit > 1;
}

unsigned device_host_ways(const struct machine *m, size_t device)
{
        const struct pci_device *d = &m->devices[device];

        return d->boot_vga == 1 ? d->host_ways & ~(1u << HOST_WAY_DISPLAY) : d->host_ways;
}

const char *bootloader_name(enum bootloader_kind k)
{
        return k >= 0 && k < _BOOTLOADER_MAX ? bootloader_names[k] : "unknown";
}

const char *bootloader_note(enum bootloader_kind k)
{
        return k >= 0 && k < _BOOTLOADER_MAX ? bootloader_notes[k] : bootloader_notes[BOOTLOADER_UNKNOWN];
}

const char *initramfs_name(enum initramfs_kind k)
{
        return k >= 0 && k < _INITRAMFS_MAX ? initramfs_names[k] : "unknown";
}

const char *gpu_reason_text(enum gpu_reason r)
{
        return r >= 0 && r < _GPU_REASON_MAX ? gpu_reasons[r].text : "";
}

bool gpu_reason_blocking(enum gpu_reason r)
{
        return r >= 0 && r < _GPU_REASON_MAX && gpu_reasons[r].blocking;
}

/* Whether word (len bytes) is one of the space-separated words. */
static bool word_in(const char *words, const char *word, size_t len)
{
        for (const char *p = words; *p;) {
                size_t n = strcspn(p, " ");

                if (n == len && strncmp(p, word, len) == 0)
                        return true;
                p += n;
                p += strspn(p, " ");
        }
        return false;
}

bool distro_is(const struct distro_info *d, const char *ids)
{
        if (d->id && word_in(ids, d->id, strlen(d->id)))
                return true;
        for (const char *p = d->id_like; p && *p;) {
                size_t n;

                p += strspn(p, " \t");
                n = strcspn(p, " \t");
                if (n && word_in(ids, p, n))
                        return true;
                p += n;
        }
        return false;
}

bool pci_class_is_gpu(uint16_t class_id)
{
        return class_id == 0x0300 || class_id == 0x0302 || class_id == 0x0380;
}

bool pci_class_is_storage(uint16_t class_id)
{
        return class_id >> 8 == 0x01 || class_id == 0x0c03;
}

bool pci_class_is_host_side_bridge(uint16_t class_id)
{
        return class_id == 0x0600 || class_id == 0x0604 || class_id == 0x0609;
}

const struct iommu_group *machine_find_group(const struct machine *m, int id)
{
        size_t lo = 0, hi = m->n_groups;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (m->groups[mid].id == id)
                        return &m->groups[mid];
                if (m->groups[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

int machine_find_disk(const struct machine *m, const char *name, size_t *ret)
{
        const char *base = startswith(name, "/dev/disk/by-id/") ? name + strlen("/dev/disk/by-id/")
                           : startswith(name, "/dev/") ? name + strlen("/dev/") : name;

        for (size_t i = 0; i < m->n_disks; i++)
                if (strcmp(m->disks[i].name, base) == 0 || (m->disks[i].by_id && strcmp(m->disks[i].by_id, base) == 0)) {
                        *ret = i;
                        return 0;
                }
        return -ENOENT;
}

const struct pci_device *machine_device(const struct machine *m, const char *address)
{
        size_t idx;

        return machine_find_device(m, address, &idx) == 0 ? &m->devices[idx] : NULL;
}

bool machine_display_on_only_gpu(const struct machine *m)
{
        const struct pci_device *d;

        if (m->n_gpus != 1)
                return false;
        d = &m->devices[m->gpus[0].device];
        return !(d->class_known && d->class_id == 0x0302);
}

const char *pci_device_label(const struct pci_device *d, char buf[PCI_LABEL_SIZE])
{
        if (d->device_name)
                return d->device_name;
        if (!d->ids_known)
                return "Device";
        snprintf(buf, PCI_LABEL_SIZE, "Device %04x", d->device_id);
        return buf;
}

const char *pci_vendor_label(const struct pci_device *d, char buf[PCI_LABEL_SIZE])
{
        if (d->vendor_name)
                return d->vendor_name;
        if (!d->ids_known)
                return "Vendor";
        snprintf(buf, PCI_LABEL_SIZE, "Vendor %04x", d->vendor_id);
        return buf;
}

int machine_find_device(const struct machine *m, const char *address, size_t *ret)
{
        struct pci_device key = { 0 };
        size_t lo = 0, hi = m->n_devices;

        if (pci_address_parse(address, &key.domain, &key.bus, &key.dev, &key.func) < 0)
                return -EINVAL;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = pci_address_cmp(&m->devices[mid], &key);

                if (c == 0) {
                        *ret = mid;
                        return 0;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -ENOENT;
}

/* The model's free functions, one per struct, from its field list (machine.h). */
#define FREE_NONE(member, sub)
#define FREE_STR(member, sub) free(s->member);
#define FREE_PTR(member, sub) free(s->member);
#define FREE_STRV(member, sub) strv_free(&s->member);
#define FREE_STATE(member, sub) state_free(&s->member);
#define FREE_STRUCT(member, sub) free_##sub(&s->member);
#define FREE_ARRAY(member, sub)                                  \
        for (size_t i_ = 0; i_ < s->n_##member; i_++)          \
                free_##sub(&s->member[i_]);                     \
        free(s->member);
#define FREE_ROW(owned, shown, member, key, sub) FREE_##owned(member, sub)
#define DEFINE_FREE(name, list) \
        static void free_##name(struct name *s) { list(FREE_ROW) }

DEFINE_FREE(cpu_core, CPU_CORE_FIELDS)
DEFINE_FREE(cpu_topology, CPU_TOPOLOGY_FIELDS)
DEFINE_FREE(cpu_info, CPU_INFO_FIELDS)
DEFINE_FREE(board_info, BOARD_INFO_FIELDS)
DEFINE_FREE(iommu_info, IOMMU_INFO_FIELDS)
DEFINE_FREE(pci_device, PCI_DEVICE_FIELDS)
DEFINE_FREE(host_net, HOST_NET_FIELDS)
DEFINE_FREE(iommu_group, IOMMU_GROUP_FIELDS)
DEFINE_FREE(gpu_info, GPU_INFO_FIELDS)
DEFINE_FREE(block_part, BLOCK_PART_FIELDS)
DEFINE_FREE(block_disk, BLOCK_DISK_FIELDS)
DEFINE_FREE(distro_info, DISTRO_INFO_FIELDS)
DEFINE_FREE(evidence_result, EVIDENCE_RESULT_FIELDS)
DEFINE_FREE(esp_info, ESP_INFO_FIELDS)
DEFINE_FREE(boot_once, BOOT_ONCE_FIELDS)
DEFINE_FREE(vfio_id_source, VFIO_ID_SOURCE_FIELDS)
DEFINE_FREE(vfio_state, VFIO_STATE_FIELDS)
DEFINE_FREE(machine, MACHINE_FIELDS)

void machine_free(struct machine *m)
{
        if (!m)
                return;
        free_machine(m);
        free(m);
}
