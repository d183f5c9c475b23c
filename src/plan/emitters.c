/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "emit.h"

#define EMITTER_DECLARE(id, name, e, ...) extern const struct emitter e##_emitter;
BOOTLOADERS(EMITTER_DECLARE)
INITRAMFS_GENERATORS(EMITTER_DECLARE)
#undef EMITTER_DECLARE

#define EMITTER_ROW(id, name, e, ...) [BOOTLOADER_##id] = &e##_emitter,
static const struct emitter *const bootloaders[_BOOTLOADER_MAX] = { BOOTLOADERS(EMITTER_ROW) };
#undef EMITTER_ROW
#define EMITTER_ROW(id, name, e, ...) [INITRAMFS_##id] = &e##_emitter,
static const struct emitter *const initramfs_generators[_INITRAMFS_MAX] = { INITRAMFS_GENERATORS(EMITTER_ROW) };
#undef EMITTER_ROW

const struct emitter *bootloader_emitter(int kind)
{
        return kind >= 0 && kind < _BOOTLOADER_MAX ? bootloaders[kind] : bootloaders[BOOTLOADER_UNKNOWN];
}

const struct emitter *initramfs_emitter(int kind)
{
        return kind >= 0 && kind < _INITRAMFS_MAX ? initramfs_generators[kind] : initramfs_generators[INITRAMFS_UNKNOWN];
}
