/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/host_needs.h"
#include "vfio-setup/strbuf.h"

char *disk_summary(const struct block_disk *d)
{
        struct strbuf b = { 0 };
        char *text;

        strbuf_printf(&b, "%s (%.1f GiB", d->name, (double)d->bytes / (1024.0 * 1024 * 1024));
        if (d->model)
                strbuf_printf(&b, ", %s", d->model);
        for (size_t i = 0; i < d->n_parts; i++) {
                const struct block_part *p = &d->parts[i];

                strbuf_printf(&b, "%s%s", i ? ", " : "; ", p->fs_type ? p->fs_type : "unknown");
                if (p->label)
                        strbuf_printf(&b, " \"%s\"", p->label);
        }
        strbuf_printf(&b, ")");
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}

char *disk_uses(const struct block_disk *d)
{
        return strv_join(&d->mounts, " ");
}

int controller_host_disk(const struct machine *m, size_t device, size_t *ret_disk)
{
        for (size_t i = 0; i < m->n_disks; i++)
                if (m->disks[i].controller == device && m->disks[i].mounts.n > 0) {
                        *ret_disk = i;
                        return 0;
                }
        return -ENOENT;
}

bool controller_has_disks(const struct machine *m, size_t device)
{
        for (size_t i = 0; i < m->n_disks; i++)
                if (m->disks[i].controller == device)
                        return true;
        return false;
}

/* The chipset's functions the host runs on, whatever their group says. */
static const struct {
        uint16_t class_id;
        uint16_t vendor;        /* 0: any */
        const char *what;
} host_classes[] = {
        { 0x0600, 0, "a host bridge" },
        { 0x0601, 0, "the chipset's ISA/LPC bridge" },
        { 0x0c05, 0, "the chipset's SMBus controller" },
        /* AMD's platform security processor: SEV and the firmware TPM run on it. */
        { 0x1080, 0x1022, "the platform's security processor (SEV, the firmware TPM)" },
};

char *device_host_needs(const struct machine *m, size_t device)
{
        const struct pci_device *d = &m->devices[device];
        size_t disk;
        char *why = NULL, *uses;

        if (!d->class_known)
                return strdup("a device whose class could not be read");
        for (size_t i = 0; i < sizeof(host_classes) / sizeof(host_classes[0]); i++)
                if (d->class_id == host_classes[i].class_id &&
                    (!host_classes[i].vendor || (d->ids_known && d->vendor_id == host_classes[i].vendor)))
                        return strdup(host_classes[i].what);
        if (!pci_class_is_storage(d->class_id))
                return NULL;
        if (!m->storage_known)
                return strdup(d->class_id == 0x0c03 ? "a USB controller whose disks are unknown"
                                                    : "a disk controller whose use is unknown");
        if (controller_host_disk(m, device, &disk) < 0)
                return NULL;
        uses = disk_uses(&m->disks[disk]);
        if (uses && asprintf(&why, "the controller of %s (%s)", m->disks[disk].name, uses) < 0)
                why = NULL;
        free(uses);
        return why;
}

bool device_alone_in_group(const struct machine *m, size_t device)
{
        /* NULL too for PCI_GROUP_NONE: a device without a group is not alone in one. */
        const struct iommu_group *g = machine_find_group(m, m->devices[device].iommu_group);

        for (size_t i = 0; g && i < g->n_devices; i++) {
                const struct pci_device *other = &m->devices[g->devices[i]];

                if (g->devices[i] != device && !(other->class_known && pci_class_is_host_side_bridge(other->class_id)))
                        return false;
        }
        return g != NULL;
}
