/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/sysroot.h"

/* The Boot Loader Interface's variables (systemd-boot and its kin), as efivarfs shows them. */
#define LOADER_VAR(name) "sys/firmware/efi/efivars/" name "-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

/* A variable holding UTF-16LE text after its 4 bytes of attributes; other than ASCII shows as '?'. */
int efivar_string(const struct sysroot *sr, const char *rel, char **ret);
/* A variable holding a 64-bit little-endian number. */
int efivar_u64(const struct sysroot *sr, const char *rel, unsigned long long *ret);
