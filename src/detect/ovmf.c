/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>

#include "vfio-setup/ovmf.h"

/*
 * Where each family's package puts OVMF (Debian/Ubuntu ovmf, Fedora edk2-ovmf,
 * Arch edk2-ovmf, openSUSE qemu-ovmf-x86_64), the 4 MiB builds first: a guest
 * with Secure Boot (Windows 11) needs the Secure Boot build with enrolled keys.
 */
static const struct ovmf_paths table[] = {
        { "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", true },
        { "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", true },
        { "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd", "/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd", true },
        { "/usr/share/edk2/x64/OVMF_CODE.secboot.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd", true },
        { "/usr/share/qemu/ovmf-x86_64-ms-4m-code.bin", "/usr/share/qemu/ovmf-x86_64-ms-4m-vars.bin", true },
        { "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", false },
        { "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd", false },
        { "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd", false },
        { "/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd", false },
        { "/usr/share/qemu/ovmf-x86_64-4m-code.bin", "/usr/share/qemu/ovmf-x86_64-4m-vars.bin", false },
};

int ovmf_find(const struct sysroot *sr, struct ovmf_paths *ret)
{
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (sysroot_exists(sr, table[i].code + 1) && sysroot_exists(sr, table[i].vars + 1)) {
                        *ret = table[i];
                        return 0;
                }
        return -ENOENT;
}
