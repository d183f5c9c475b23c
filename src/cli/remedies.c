/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "remedies.h"

/* The libraries' remedies as the command line offers them: options to give, commands to run. */
const char *const cli_remedies[_REMEDY_MAX] = {
        [REMEDY_NAME_GPU] = "name the GPU to pass through with --gpu ADDRESS",
        [REMEDY_BOOT_VGA] = "Or pass it anyway with --allow-boot-vga, which also adds initcall_blacklist=sysfb_init",
        [REMEDY_BOOT_VGA_CHOICE] = "plan --allow-boot-vga",
        [REMEDY_SINGLE_GPU] = "Or keep it with the host until a libvirt guest starts: --single-gpu DOMAIN",
        [REMEDY_SINGLE_GPU_CHOICE] = "plan --single-gpu DOMAIN",
        [REMEDY_NO_SINGLE_GPU] = "without --single-gpu",
        [REMEDY_HANDOVER] = "--handover GUEST",
        [REMEDY_NO_HANDOVER] = "without --handover",
        [REMEDY_DIRTY_GROUP] = "pass them along with --extra, or move the card to a slot wired to the CPU. "
                               "--allow-dirty-group sets it up anyway, but the guest then starts only once they go to "
                               "vfio-pci too, or under a kernel whose ACS override splits the group (detect explains "
                               "the override, which vfio-setup does not set)",
        [REMEDY_DIRTY_ACCEPTED] = "(--allow-dirty-group)",
        [REMEDY_LG_USER] = "run vfio-setup through sudo as the user who runs the client, or name one with --lg-user NAME",
        [REMEDY_STORAGE] = "(--extra ADDRESS, --disk NAME; vfio-setup detect lists them)",
        [REMEDY_STORAGE_CONTROLLER] = "--goal storage --extra %s",
        [REMEDY_STORAGE_DISKS] = "--goal storage --disk NAME",
        [REMEDY_STORAGE_DISK] = "--goal storage --disk %s",
        [REMEDY_DISK_NAMED] = "--disk %s",
        [REMEDY_DISK_LIMIT] = " (--disk)",
        [REMEDY_DISKS_XML] = "add the disks to the domain with vfio-setup plan --libvirt-xml",
        [REMEDY_HOST_DISK] = "Give the guest a disk the host does not use (--disk), or another controller",
        [REMEDY_HOST_WAY] = "Once there is another way in, pass it anyway with --allow-host-device ADDRESS",
        [REMEDY_HOST_WAY_CHOICE] = "plan --allow-host-device ADDRESS",
        [REMEDY_VM_MEMORY] = "--vm-memory",
        [REMEDY_PIN_XML] = "vfio-setup plan --libvirt-xml prints <cputune>",
        [REMEDY_LG_XML] = "add to the domain with vfio-setup plan --libvirt-xml",
        [REMEDY_DOMAIN_XML] = "vfio-setup plan --libvirt-domain %s prints one",
        [REMEDY_RELEASE_GPU] = "vfio-setup release --gpu %s",
        [REMEDY_NAME_BOOTLOADER] = "--bootloader NAME names it",
        [REMEDY_OSTREE_CHAIN] = "--bootloader rpm-ostree",
        [REMEDY_INITRAMFS] = "--initramfs",
        [REMEDY_RELEASE_OR_MOVE] = "vfio-setup plan --release removes it; --gpu ADDRESS moves it to another GPU",
        [REMEDY_NAME_GPU_VERIFY] = "name the GPU with --gpu",
        [REMEDY_LIVE_ROOT] = "with --root / (the default)",
        [REMEDY_NO_TRIAL] = "Set it up for good without a trial with --no-trial",
        [REMEDY_COMMIT] = "vfio-setup commit makes it the default (vfio-setup verify --commit checks first)",
        [REMEDY_TRIAL_AGAIN] = "vfio-setup undo removes the trial; vfio-setup trial starts it once more at the next "
                               "boot",
};
