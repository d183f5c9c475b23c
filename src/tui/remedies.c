/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "remedies.h"

/* The libraries' remedies as the wizard offers them: keys to press, screens to go back to. */
const char *const wizard_remedies[_REMEDY_MAX] = {
        [REMEDY_NAME_GPU] = "choose the GPU to pass through on the GPU screen",
        [REMEDY_BOOT_VGA] = "Or press v to pass it anyway, which also adds initcall_blacklist=sysfb_init",
        [REMEDY_BOOT_VGA_CHOICE] = "v on the GPU screen",
        [REMEDY_SINGLE_GPU] = "Or keep it with the host until the guest starts: single-GPU mode, on the Goal screen",
        [REMEDY_SINGLE_GPU_CHOICE] = "on the Goal screen",
        [REMEDY_NO_SINGLE_GPU] = "with single-GPU mode off on the Goal screen",
        [REMEDY_HANDOVER] = "handover, on the Goal screen",
        [REMEDY_NO_HANDOVER] = "with handover off on the Goal screen",
        [REMEDY_DIRTY_GROUP] = "tick them on the GPU screen (Tab) to pass them along, or move the card to a slot "
                               "wired to the CPU. d sets it up anyway, but the guest then starts only once they go "
                               "to vfio-pci too, or under a kernel whose ACS override splits the group (the GPU "
                               "screen explains the override)",
        [REMEDY_DIRTY_ACCEPTED] = "(accepted with d)",
        [REMEDY_LG_USER] = "choose the user who runs the client on the Goal screen (Left/Right on its row)",
        [REMEDY_STORAGE] = "(tick them under storage on the Goal screen)",
        [REMEDY_STORAGE_CONTROLLER] = "tick it under storage on the Goal screen",
        [REMEDY_STORAGE_DISKS] = "tick them under storage on the Goal screen",
        [REMEDY_STORAGE_DISK] = "its row under storage on the Goal screen",
        [REMEDY_DISK_NAMED] = "disk %s",
        [REMEDY_DISK_LIMIT] = "",
        [REMEDY_DISKS_XML] = "the domain the last screen saves has the disks",
        [REMEDY_HOST_DISK] = "Give the guest a disk the host does not use, or another controller",
        [REMEDY_HOST_WAY] = "Once there is another way in, confirm it on the GPU screen (y when it asks)",
        [REMEDY_HOST_WAY_CHOICE] = "y on the GPU screen when it asks",
        [REMEDY_VM_MEMORY] = "the memory row on the Goal screen",
        [REMEDY_PIN_XML] = "the domain the last screen saves has its <cputune>",
        [REMEDY_LG_XML] = "the domain the last screen saves has it",
        [REMEDY_DOMAIN_XML] = "the last screen saves one",
        [REMEDY_RELEASE_GPU] = "at a shell: vfio-setup release --gpu %s",
        [REMEDY_NAME_BOOTLOADER] = "the Boot screen names it",
        [REMEDY_OSTREE_CHAIN] = "the rpm-ostree boot loader on the Boot screen",
        [REMEDY_INITRAMFS] = "on the Boot screen",
        [REMEDY_RELEASE_OR_MOVE] = "the summary screen removes it or moves it to another GPU",
        [REMEDY_NAME_GPU_VERIFY] = "choose the GPU on the GPU screen",
        [REMEDY_LIVE_ROOT] = "on the machine itself, not on a copy of its files",
        [REMEDY_NO_TRIAL] = "Press t to set it up for good without a trial",
        [REMEDY_COMMIT] = "Commit, on the wizard's first screen, makes it the default",
        [REMEDY_TRIAL_AGAIN] = "the wizard's first screen undoes the trial, or tries it once more at the next boot",
};
