/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/storage.h"
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
