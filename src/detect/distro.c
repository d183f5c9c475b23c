/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/envfile.h"

/* os-release(5): /etc/os-release wins, /usr/lib/os-release is the fallback. */
static const char *const os_release_paths[] = { "etc/os-release", "usr/lib/os-release" };

static const struct {
        const char *key;
        size_t offset;
} os_release_keys[] = {
        { "ID", offsetof(struct distro_info, id) },
        { "ID_LIKE", offsetof(struct distro_info, id_like) },
        { "NAME", offsetof(struct distro_info, name) },
        { "PRETTY_NAME", offsetof(struct distro_info, pretty_name) },
        { "VERSION_ID", offsetof(struct distro_info, version_id) },
};

int detect_distro(const struct sysroot *sr, struct machine *m)
{
        char *content = NULL;
        int r = -ENOENT;

        /* Proxmox VE is Debian with its own guest manager, qemu-server's qm. */
        m->distro.proxmox_ve = sysroot_exists(sr, "usr/sbin/qm");
        for (size_t i = 0; i < sizeof(os_release_paths) / sizeof(os_release_paths[0]); i++) {
                r = sysroot_read(sr, os_release_paths[i], 64 * 1024, &content, NULL);
                if (r == 0) {
                        m->distro.source = os_release_paths[i];
                        break;
                }
                if (r != -ENOENT && (r = detect_warn_file(m, os_release_paths[i], r)) < 0)
                        return r;
        }
        if (!content)
                return 0;
        for (size_t i = 0; i < sizeof(os_release_keys) / sizeof(os_release_keys[0]); i++) {
                char **slot = (char **)((char *)&m->distro + os_release_keys[i].offset);

                r = env_file_get(content, os_release_keys[i].key, slot);
                if (r < 0)
                        break;
        }
        free(content);
        return r;
}
