/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/machine.h"
#include "vfio-setup/pciaddr.h"

static const char *const bootloader_names[_BOOTLOADER_MAX] = {
        [BOOTLOADER_UNKNOWN] = "unknown",
        [BOOTLOADER_GRUB] = "grub",
        [BOOTLOADER_GRUB_BLS] = "grub-bls",
        [BOOTLOADER_SYSTEMD_BOOT] = "systemd-boot",
        [BOOTLOADER_KERNELSTUB] = "kernelstub",
        [BOOTLOADER_REFIND] = "refind",
        [BOOTLOADER_LIMINE] = "limine",
        [BOOTLOADER_EFISTUB] = "efistub",
        [BOOTLOADER_PROXMOX_SDBOOT] = "proxmox-boot-tool:systemd-boot",
        [BOOTLOADER_PROXMOX_GRUB] = "proxmox-boot-tool:grub",
        [BOOTLOADER_RPM_OSTREE] = "rpm-ostree",
        [BOOTLOADER_SDBOOTUTIL] = "sdbootutil",
};

static const char *const initramfs_names[_INITRAMFS_MAX] = {
        [INITRAMFS_UNKNOWN] = "unknown",
        [INITRAMFS_MKINITCPIO] = "mkinitcpio",
        [INITRAMFS_DRACUT] = "dracut",
        [INITRAMFS_INITRAMFS_TOOLS] = "initramfs-tools",
        [INITRAMFS_BOOSTER] = "booster",
        [INITRAMFS_RPM_OSTREE] = "rpm-ostree",
};

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

static void evidence_free(struct evidence_result *e)
{
        strv_free(&e->evidence);
        strv_free(&e->also_found);
}

void machine_free(struct machine *m)
{
        if (!m)
                return;
        free(m->cpu.vendor_string);
        free(m->cpu.model);
        for (size_t i = 0; i < m->topology.n_cores; i++)
                free(m->topology.cores[i].cpus);
        free(m->topology.cores);
        free(m->board.vendor);
        free(m->board.name);
        free(m->board.bios_vendor);
        free(m->board.bios_version);
        free(m->board.bios_date);
        free(m->board.sys_vendor);
        free(m->board.product_name);
        free(m->iommu.cmdline);
        free(m->iommu.acs_evidence);
        strv_free(&m->iommu.cmdline_tokens);
        for (size_t i = 0; i < m->n_devices; i++) {
                free(m->devices[i].vendor_name);
                free(m->devices[i].device_name);
                free(m->devices[i].class_name);
                free(m->devices[i].driver);
                free(m->devices[i].driver_module);
                strv_free(&m->devices[i].usb_devices);
                strv_free(&m->devices[i].net_ifaces);
                strv_free(&m->devices[i].inputs);
                strv_free(&m->devices[i].screens);
                strv_free(&m->devices[i].host_way_texts);
        }
        free(m->devices);
        for (size_t i = 0; i < m->n_groups; i++)
                free(m->groups[i].devices);
        free(m->groups);
        for (size_t i = 0; i < m->n_disks; i++) {
                struct block_disk *d = &m->disks[i];

                for (size_t k = 0; k < d->n_parts; k++) {
                        free(d->parts[k].name);
                        free(d->parts[k].fs_type);
                        free(d->parts[k].label);
                        strv_free(&d->parts[k].mounts);
                }
                free(d->parts);
                free(d->name);
                free(d->by_id);
                free(d->model);
                strv_free(&d->mounts);
        }
        free(m->disks);
        for (size_t i = 0; i < m->n_gpus; i++) {
                free(m->gpus[i].companions);
                free(m->gpus[i].blockers);
                strv_free(&m->gpus[i].vfio_ids);
                strv_free(&m->gpus[i].reason_texts);
                free(m->gpus[i].reset_quirk);
        }
        free(m->gpus);
        free(m->distro.id);
        free(m->distro.id_like);
        free(m->distro.name);
        free(m->distro.pretty_name);
        free(m->distro.version_id);
        strv_free(&m->net.default_ifaces);
        strv_free(&m->net.ssh_peers);
        free(m->esp.path);
        free(m->esp.device);
        free(m->esp.fs_type);
        free(m->esp.part_type);
        strv_free(&m->esp.evidence);
        evidence_free(&m->bootloader);
        evidence_free(&m->initramfs);
        for (size_t i = 0; i < m->vfio.n_ids; i++) {
                free(m->vfio.ids[i].id);
                free(m->vfio.ids[i].source);
        }
        free(m->vfio.ids);
        strv_free(&m->vfio.bound);
        free(m->vfio.kernel);
        state_free(&m->vfio.tool);
        free(m->vfio.tool_error);
        strv_free(&m->warnings);
        free(m);
}
