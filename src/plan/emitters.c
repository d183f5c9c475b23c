/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "emit.h"

extern const struct emitter grub_emitter, grubby_emitter, systemd_boot_emitter, kernelstub_emitter, refind_emitter,
        limine_emitter, efistub_emitter, proxmox_systemd_boot_emitter, proxmox_grub_emitter, rpm_ostree_emitter,
        sdbootutil_emitter, unknown_bootloader_emitter;
extern const struct emitter mkinitcpio_emitter, dracut_emitter, initramfs_tools_emitter, booster_emitter,
        rpm_ostree_initramfs_emitter, unknown_initramfs_emitter;

static const struct emitter *const bootloaders[_BOOTLOADER_MAX] = {
        [BOOTLOADER_UNKNOWN] = &unknown_bootloader_emitter,
        [BOOTLOADER_GRUB] = &grub_emitter,
        [BOOTLOADER_GRUB_BLS] = &grubby_emitter,
        [BOOTLOADER_SYSTEMD_BOOT] = &systemd_boot_emitter,
        [BOOTLOADER_KERNELSTUB] = &kernelstub_emitter,
        [BOOTLOADER_REFIND] = &refind_emitter,
        [BOOTLOADER_LIMINE] = &limine_emitter,
        [BOOTLOADER_EFISTUB] = &efistub_emitter,
        [BOOTLOADER_PROXMOX_SDBOOT] = &proxmox_systemd_boot_emitter,
        [BOOTLOADER_PROXMOX_GRUB] = &proxmox_grub_emitter,
        [BOOTLOADER_RPM_OSTREE] = &rpm_ostree_emitter,
        [BOOTLOADER_SDBOOTUTIL] = &sdbootutil_emitter,
};

static const struct emitter *const initramfs_generators[_INITRAMFS_MAX] = {
        [INITRAMFS_UNKNOWN] = &unknown_initramfs_emitter,
        [INITRAMFS_MKINITCPIO] = &mkinitcpio_emitter,
        [INITRAMFS_DRACUT] = &dracut_emitter,
        [INITRAMFS_INITRAMFS_TOOLS] = &initramfs_tools_emitter,
        [INITRAMFS_BOOSTER] = &booster_emitter,
        [INITRAMFS_RPM_OSTREE] = &rpm_ostree_initramfs_emitter,
};

const struct emitter *bootloader_emitter(int kind)
{
        return kind >= 0 && kind < _BOOTLOADER_MAX ? bootloaders[kind] : bootloaders[BOOTLOADER_UNKNOWN];
}

const struct emitter *initramfs_emitter(int kind)
{
        return kind >= 0 && kind < _INITRAMFS_MAX ? initramfs_generators[kind] : initramfs_generators[INITRAMFS_UNKNOWN];
}
