/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_chain.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/envfile.h"

/*
 * Some systems hand their whole boot chain to one tool: the loader found on
 * disk is right, but editing its files (or running its usual generator) does
 * not reach the next boot.  Each rule below recognises one such tool from its
 * own records, and says which kind the plan must follow.
 */

/*
 * proxmox-boot-tool keeps its ESPs in this list, one VFAT UUID ("ABCD-1234")
 * a line, and mounts them only while it writes to them.
 */
#define PROXMOX_ESP_LIST "etc/kernel/proxmox-boot-uuids"

static bool vfat_uuid(const char *line)
{
        for (int i = 0; i < 9; i++)
                if (i == 4 ? line[i] != '-' : !isxdigit((unsigned char)line[i]))
                        return false;
        return line[9] == '\0' || line[9] == ' ' || line[9] == '\t';
}

static int proxmox(const struct sysroot *sr, const struct machine *m, const struct boot_facts *f, struct strv *why,
                   int *ret_kind)
{
        char *list = NULL, *save = NULL;
        size_t n = 0;
        int r;

        (void)m;
        r = sysroot_read(sr, PROXMOX_ESP_LIST, 64 * 1024, &list, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                n += vfat_uuid(line);
        free(list);
        /* An empty list is a machine that was never set up with it: plain Debian GRUB. */
        if (n == 0)
                return 0;
        r = strv_pushf(why, "/%s lists %zu ESP%s", PROXMOX_ESP_LIST, n, n == 1 ? "" : "s");
        if (r >= 0 && sysroot_exists(sr, "usr/sbin/proxmox-boot-tool"))
                r = strv_push(why, "/usr/sbin/proxmox-boot-tool");
        if (r < 0)
                return r;
        /*
         * Its kernel hook writes systemd-boot entries when the machine booted by UEFI and
         * the ESP has no GRUB of its own (EFI/proxmox/grubx64.efi, installed for Secure
         * Boot), GRUB otherwise.  The ESPs are not mounted: the firmware says which.
         */
        if (!sysroot_is_dir(sr, "sys/firmware/efi")) {
                *ret_kind = BOOTLOADER_PROXMOX_GRUB;
                return strv_push(why, "no /sys/firmware/efi: booted in legacy BIOS mode, so GRUB");
        }
        if (f->loader_info && startswith(f->loader_info, "systemd-boot")) {
                *ret_kind = BOOTLOADER_PROXMOX_SDBOOT;
                return strv_pushf(why, "booted by %s (EFI variable LoaderInfo)", f->loader_info);
        }
        if (sysroot_exists(sr, "etc/kernel/cmdline")) {
                *ret_kind = BOOTLOADER_PROXMOX_SDBOOT;
                return strv_push(why, "UEFI, and /etc/kernel/cmdline, which its systemd-boot mode reads");
        }
        *ret_kind = BOOTLOADER_PROXMOX_GRUB;
        return strv_push(why, "UEFI without systemd-boot's LoaderInfo or /etc/kernel/cmdline: GRUB (as with Secure Boot)");
}

/* The signs of an ostree deployment (ostree-prepare-root, ostree's boot entries). */
static int rpm_ostree(const struct sysroot *sr, const struct machine *m, const struct boot_facts *f, struct strv *why,
                      int *ret_kind)
{
        struct strv entries = { 0 };
        size_t before = why->n;
        int r = 0;

        (void)f;
        if (sysroot_exists(sr, "run/ostree-booted"))
                r = strv_push(why, "/run/ostree-booted");
        if (r >= 0 && m->iommu.cmdline && kcmdline_has(m->iommu.cmdline, "ostree", NULL))
                r = strv_push(why, "ostree= on the kernel command line");
        if (r >= 0 && sysroot_list(sr, "boot/loader/entries", &entries) >= 0)
                for (size_t i = 0; i < entries.n && r >= 0; i++)
                        if (startswith(entries.v[i], "ostree-")) {
                                r = strv_pushf(why, "/boot/loader/entries/%s", entries.v[i]);
                                break;
                        }
        strv_free(&entries);
        if (r < 0 || why->n == before)
                return r;
        if (sysroot_exists(sr, "usr/bin/rpm-ostree"))
                r = strv_push(why, "/usr/bin/rpm-ostree");
        *ret_kind = BOOTLOADER_RPM_OSTREE;
        return r;
}

/* openSUSE: /etc/sysconfig/bootloader names the loader sdbootutil manages. */
static int sdbootutil(const struct sysroot *sr, const struct machine *m, const struct boot_facts *f, struct strv *why,
                      int *ret_kind)
{
        static const char *const tools[] = { "usr/bin/sdbootutil", "usr/sbin/sdbootutil" };
        const char *tool = NULL;
        char *conf = NULL, *type = NULL;
        int r = 0;

        (void)m;
        for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]) && !tool; i++)
                if (sysroot_exists(sr, tools[i]))
                        tool = tools[i];
        if (!tool)
                return 0;
        if (sysroot_read(sr, "etc/sysconfig/bootloader", 64 * 1024, &conf, NULL) == 0)
                r = env_file_get(conf, "LOADER_TYPE", &type);
        free(conf);
        if (r == -ENOMEM)
                return r;
        if (type && (strcmp(type, "systemd-boot") == 0 || strcmp(type, "grub2-bls") == 0))
                r = strv_pushf(why, "LOADER_TYPE=%s in /etc/sysconfig/bootloader", type);
        else if (f->loader_info && startswith(f->loader_info, "systemd-boot"))
                r = strv_pushf(why, "booted by %s (EFI variable LoaderInfo)", f->loader_info);
        else {
                free(type);
                return 0;
        }
        free(type);
        if (r >= 0)
                r = strv_pushf(why, "/%s", tool);
        *ret_kind = BOOTLOADER_SDBOOTUTIL;
        return r;
}

static const struct chain_rule {
        int (*detect)(const struct sysroot *sr, const struct machine *m, const struct boot_facts *f, struct strv *why,
                      int *ret_kind);
} chain_rules[] = {
        { rpm_ostree },
        { proxmox },
        { sdbootutil },
};

int detect_boot_chain(const struct sysroot *sr, const struct machine *m, const struct boot_facts *f, struct strv *ret_why,
                      int *ret_kind)
{
        for (size_t i = 0; i < sizeof(chain_rules) / sizeof(chain_rules[0]); i++) {
                struct strv why = { 0 };
                int kind = BOOTLOADER_UNKNOWN, r;

                r = chain_rules[i].detect(sr, m, f, &why, &kind);
                if (r < 0 || kind == BOOTLOADER_UNKNOWN) {
                        strv_free(&why);
                        if (r < 0)
                                return r;
                        continue;
                }
                *ret_why = why;
                *ret_kind = kind;
                return 1;
        }
        return 0;
}
