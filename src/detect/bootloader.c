/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_chain.h"
#include "efivars.h"
#include "probe.h"
#include "vfio-setup/envfile.h"

#define B(kind, path, esp, weight) { BOOTLOADER_##kind, path, esp, weight }

/* Tell-tale files; leftovers of a former bootloader weigh less than the live one's files together. */
static const struct probe bootloader_probes[] = {
        B(KERNELSTUB, "etc/kernelstub/configuration", false, 12),
        B(SYSTEMD_BOOT, "EFI/systemd/systemd-boot*.efi", true, 6),
        B(SYSTEMD_BOOT, "loader/loader.conf", true, 4),
        B(SYSTEMD_BOOT, "loader/entries/*.conf", true, 2),
        B(GRUB, "boot/grub/grub.cfg", false, 6),
        B(GRUB, "boot/grub2/grub.cfg", false, 6),
        B(GRUB, "etc/default/grub", false, 3),
        B(GRUB, "EFI/*/grubx64.efi", true, 2),
        B(REFIND, "EFI/refind/refind.conf", true, 6),
        B(REFIND, "EFI/BOOT/refind.conf", true, 6),
        B(REFIND, "boot/refind_linux.conf", false, 4),
        B(LIMINE, "limine.conf", true, 6),
        B(LIMINE, "limine/limine.conf", true, 6),
        B(LIMINE, "EFI/BOOT/limine.conf", true, 6),
        B(LIMINE, "EFI/limine/limine.conf", true, 6),
        B(LIMINE, "boot/limine.conf", false, 6),
        B(LIMINE, "boot/limine/limine.conf", false, 6),
        B(LIMINE, "limine.cfg", true, 5),
        B(LIMINE, "boot/limine.cfg", false, 5),
        B(LIMINE, "etc/default/limine", false, 2),
        B(EFISTUB, "EFI/Linux/*.efi", true, 3),
};

/* GRUB reading Boot Loader Specification entries, managed with grubby (Fedora family). */
static const char *const bls_signs[] = {
        "usr/bin/grubby", "usr/sbin/grubby", "sbin/grubby",
};

static const char *kind_name(int kind)
{
        return bootloader_name((enum bootloader_kind)kind);
}

static bool grub_uses_bls(const struct sysroot *sr, struct strv *evidence, int *err)
{
        struct strv entries = { 0 };
        char *conf = NULL, *value = NULL;
        bool bls = false;

        *err = 0;
        if (sysroot_list(sr, "boot/loader/entries", &entries) < 0 || entries.n == 0) {
                strv_free(&entries);
                return false;
        }
        strv_free(&entries);
        for (size_t i = 0; i < sizeof(bls_signs) / sizeof(bls_signs[0]) && !bls; i++)
                if (sysroot_exists(sr, bls_signs[i])) {
                        bls = true;
                        *err = strv_pushf(evidence, "/%s", bls_signs[i]);
                }
        if (sysroot_read(sr, "etc/default/grub", 1024 * 1024, &conf, NULL) == 0) {
                if (env_file_get(conf, "GRUB_ENABLE_BLSCFG", &value) == -ENOMEM)
                        *err = -ENOMEM;
                if (value && strcmp(value, "true") == 0) {
                        bls = true;
                        *err = strv_push(evidence, "GRUB_ENABLE_BLSCFG=true in /etc/default/grub");
                }
                free(value);
                free(conf);
        }
        if (bls && *err == 0)
                *err = strv_push(evidence, "/boot/loader/entries has entries");
        return bls;
}

/* A tool that owns the boot chain decides over the loader its files show; that loader stays in also_found. */
static int boot_chain(const struct sysroot *sr, struct machine *m, const char *info)
{
        struct boot_facts f = { info };
        struct strv why = { 0 };
        int kind, r;

        r = detect_boot_chain(sr, m, &f, &why, &kind);
        if (r <= 0)
                return r;
        if (m->bootloader.kind != BOOTLOADER_UNKNOWN)
                r = strv_push(&m->bootloader.also_found, bootloader_name((enum bootloader_kind)m->bootloader.kind));
        strv_free(&m->bootloader.evidence);
        m->bootloader.evidence = why;
        m->bootloader.kind = kind;
        return r;
}

int detect_bootloader(const struct sysroot *sr, struct machine *m)
{
        struct probe_bonus bonus[1];
        size_t n_bonus = 0;
        char *info = NULL, *why = NULL;
        int r;

        /* systemd-boot tells the OS about itself (Boot Loader Interface). */
        r = efivar_string(sr, LOADER_VAR("LoaderInfo"), &info);
        if (r == -ENOMEM)
                return r;
        if (r == 0 && startswith(info, "systemd-boot")) {
                if (asprintf(&why, "booted by %s (EFI variable LoaderInfo)", info) < 0) {
                        free(info);
                        return -ENOMEM;
                }
                /* The firmware's own word on what booted outweighs any file left on disk. */
                bonus[n_bonus++] = (struct probe_bonus){ BOOTLOADER_SYSTEMD_BOOT, 100, why, false };
        }

        r = probe_score(sr, m, bootloader_probes, sizeof(bootloader_probes) / sizeof(bootloader_probes[0]),
                        bonus, n_bonus, _BOOTLOADER_MAX, kind_name, &m->bootloader);
        free(why);
        if (r >= 0 && m->bootloader.kind == BOOTLOADER_GRUB && grub_uses_bls(sr, &m->bootloader.evidence, &r))
                m->bootloader.kind = BOOTLOADER_GRUB_BLS;
        if (r >= 0)
                r = boot_chain(sr, m, info);
        free(info);
        return r;
}
