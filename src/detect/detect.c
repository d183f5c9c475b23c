/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"

int detect_warn_file(struct machine *m, const char *path, int err)
{
        if (err == -ENOMEM)
                return err;
        if (err == -ENOENT)
                return 0;
        return strv_pushf(&m->warnings, "/%s: %s", path, vs_strerror(err));
}

int detect_machine(const struct sysroot *sr, struct machine **ret)
{
        struct machine *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        /* Order matters where a module reads another's result (see detect.h). */
        r = detect_cpu(sr, m);
        if (r >= 0)
                r = detect_topology(sr, m);
        if (r >= 0)
                r = detect_board(sr, m);
        if (r >= 0)
                r = detect_iommu(sr, m);
        if (r >= 0)
                r = detect_pci(sr, m);
        if (r >= 0)
                r = detect_usb(sr, m);
        if (r >= 0)
                r = detect_storage(sr, m);
        if (r >= 0)
                r = detect_host_ways(sr, m);
        if (r >= 0)
                r = detect_groups(m);
        if (r >= 0)
                r = detect_distro(sr, m);
        if (r >= 0)
                r = detect_esp(sr, m);
        if (r >= 0)
                r = detect_bootloader(sr, m);
        if (r >= 0)
                r = detect_boot_once(sr, m);
        if (r >= 0)
                r = detect_initramfs(sr, m);
        if (r >= 0)
                r = detect_vfio_state(sr, m);
        if (r < 0) {
                machine_free(m);
                return r;
        }
        *ret = m;
        return 0;
}
