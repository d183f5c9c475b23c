/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP, bootloader and initramfs detection. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static void detect_boot(void)
{
        ck_assert_int_eq(detect_distro(sr, m), 0);
        ck_assert_int_eq(detect_esp(sr, m), 0);
        ck_assert_int_eq(detect_bootloader(sr, m), 0);
        ck_assert_int_eq(detect_initramfs(sr, m), 0);
}

static const char mountinfo[] =
        "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
        "40 22 259:1 / /boot rw,relatime shared:2 - ext4 /dev/nvme0n1p3 rw\n"
        "41 40 259:5 / /boot/efi rw,relatime shared:3 - vfat /dev/nvme0n1p1 rw,fmask=0077\n"
        "42 22 0:40 / /mnt/my\\040disk rw - vfat /dev/sdb1 rw\n";

START_TEST(esp_from_mountinfo_confirmed_by_udev)
{
        tl_write(root, "proc/self/mountinfo", mountinfo);
        tl_write(root, "run/udev/data/b259:5", "S:disk/by-uuid/1234\nE:ID_FS_TYPE=vfat\n"
                                               "E:ID_PART_ENTRY_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n");
        detect_boot();
        ck_assert_str_eq(m->esp.path, "/boot/efi");
        ck_assert_str_eq(m->esp.device, "/dev/nvme0n1p1");
        ck_assert_int_eq(m->esp.confirmed, TRI_YES);
}
END_TEST

START_TEST(esp_wrong_type_and_unprobed)
{
        tl_write(root, "proc/self/mountinfo", mountinfo);
        tl_write(root, "run/udev/data/b259:5", "E:ID_FS_TYPE=vfat\nE:ID_PART_ENTRY_TYPE=0fc63daf-8483-4772-8e79-3d69d8477de4\n");
        detect_boot();
        ck_assert_int_eq(m->esp.confirmed, TRI_NO);
        machine_free(m);
        m = tl_machine();
        tl_write(root, "proc/self/mountinfo", "41 40 259:5 / /efi rw - vfat /dev/sda1 rw\n"
                                              "43 40 259:6 / /efi rw - vfat /dev/sda9 rw\n");
        detect_boot();
        /* The later mount hides the earlier; it cannot be probed here. */
        ck_assert_str_eq(m->esp.device, "/dev/sda9");
        ck_assert_int_eq(m->esp.confirmed, TRI_UNKNOWN);
}
END_TEST

START_TEST(esp_from_layout)
{
        tl_mkdir(root, "boot/EFI/BOOT");
        detect_boot();
        ck_assert_str_eq(m->esp.path, "/boot");
        ck_assert_int_eq(m->esp.confirmed, TRI_UNKNOWN);
}
END_TEST

START_TEST(grub_debian)
{
        tl_write(root, "etc/os-release", "ID=debian\nNAME=\"Debian GNU/Linux\"\n");
        tl_write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        tl_write(root, "boot/grub/grub.cfg", "");
        tl_mkdir(root, "boot/efi/EFI/debian");
        tl_write(root, "boot/efi/EFI/debian/grubx64.efi", "");
        tl_write(root, "usr/sbin/update-initramfs", "");
        tl_write(root, "etc/initramfs-tools/initramfs.conf", "");
        tl_write(root, "boot/initrd.img-6.1.0-26-amd64", "");
        detect_boot();
        ck_assert_int_eq(m->bootloader.kind, BOOTLOADER_GRUB);
        ck_assert(strv_contains(&m->bootloader.evidence, "/boot/grub/grub.cfg"));
        ck_assert(strv_contains(&m->bootloader.evidence, "/boot/efi/EFI/debian/grubx64.efi"));
        ck_assert_int_eq(m->initramfs.kind, INITRAMFS_INITRAMFS_TOOLS);
        ck_assert(strv_contains(&m->initramfs.evidence, "/boot/initrd.img-6.1.0-26-amd64"));
}
END_TEST

START_TEST(grub_bls_fedora)
{
        tl_write(root, "etc/os-release", "ID=fedora\nNAME=\"Fedora Linux\"\n");
        tl_write(root, "etc/default/grub", "GRUB_ENABLE_BLSCFG=true\n");
        tl_write(root, "boot/grub2/grub.cfg", "");
        tl_write(root, "boot/loader/entries/abc-6.8.5.conf", "title Fedora\n");
        tl_write(root, "usr/bin/grubby", "");
        tl_write(root, "usr/bin/dracut", "");
        detect_boot();
        ck_assert_int_eq(m->bootloader.kind, BOOTLOADER_GRUB_BLS);
        ck_assert(strv_contains(&m->bootloader.evidence, "/usr/bin/grubby"));
        ck_assert_int_eq(m->initramfs.kind, INITRAMFS_DRACUT);
}
END_TEST

START_TEST(systemd_boot_beats_grub_leftovers)
{
        tl_write(root, "etc/os-release", "ID=arch\n");
        tl_write(root, "etc/default/grub", "");
        tl_write(root, "boot/grub/grub.cfg", "");
        tl_write(root, "proc/self/mountinfo", "41 1 259:1 / /efi rw - vfat /dev/nvme0n1p1 rw\n");
        tl_write(root, "efi/EFI/systemd/systemd-bootx64.efi", "");
        tl_write(root, "efi/loader/loader.conf", "default arch.conf\n");
        tl_write(root, "efi/loader/entries/arch.conf", "title Arch\n");
        tl_write(root, "usr/bin/mkinitcpio", "");
        tl_write(root, "etc/mkinitcpio.conf", "");
        tl_write(root, "usr/bin/dracut", "");
        detect_boot();
        ck_assert_int_eq(m->bootloader.kind, BOOTLOADER_SYSTEMD_BOOT);
        ck_assert(strv_contains(&m->bootloader.also_found, "grub"));
        ck_assert(strv_contains(&m->bootloader.evidence, "/efi/loader/loader.conf"));
        ck_assert_int_eq(m->initramfs.kind, INITRAMFS_MKINITCPIO);
        ck_assert(strv_contains(&m->initramfs.also_found, "dracut"));
}
END_TEST

START_TEST(loader_info_variable_decides)
{
        /* 4 bytes of attributes, then "systemd-boot 255" in UTF-16LE. */
        static const char text[] = "systemd-boot 255";
        unsigned char var[4 + 2 * sizeof(text)] = { 6, 0, 0, 0 };

        for (size_t i = 0; i < sizeof(text); i++)
                var[4 + 2 * i] = (unsigned char)text[i];
        tl_write_bytes(root, "sys/firmware/efi/efivars/LoaderInfo-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", var, sizeof(var));
        tl_write(root, "boot/grub/grub.cfg", "");
        tl_write(root, "etc/default/grub", "");
        detect_boot();
        ck_assert_int_eq(m->bootloader.kind, BOOTLOADER_SYSTEMD_BOOT);
        ck_assert(strv_contains(&m->bootloader.evidence, "booted by systemd-boot 255 (EFI variable LoaderInfo)"));
}
END_TEST

START_TEST(other_bootloaders)
{
        static const struct {
                const char *file;
                enum bootloader_kind kind;
        } cases[] = {
                { "etc/kernelstub/configuration", BOOTLOADER_KERNELSTUB },
                { "boot/efi/EFI/refind/refind.conf", BOOTLOADER_REFIND },
                { "boot/limine.conf", BOOTLOADER_LIMINE },
                { "boot/EFI/limine/limine.conf", BOOTLOADER_LIMINE },
                { "efi/EFI/Linux/arch-linux.efi", BOOTLOADER_EFISTUB },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *own = tl_root_new();
                struct sysroot *own_sr = tl_sysroot(own);
                struct machine *own_m = tl_machine();

                /* Each case on a root of its own; the fixture's stays empty. */
                tl_write(own, cases[i].file, "");
                ck_assert_int_eq(detect_esp(own_sr, own_m), 0);
                ck_assert_int_eq(detect_bootloader(own_sr, own_m), 0);
                ck_assert_msg(own_m->bootloader.kind == (int)cases[i].kind, "%s gave %s", cases[i].file,
                              bootloader_name((enum bootloader_kind)own_m->bootloader.kind));
                machine_free(own_m);
                sysroot_free(own_sr);
                tl_root_free(own);
        }
}
END_TEST

START_TEST(nothing_known)
{
        tl_write(root, "etc/os-release", "ID=debian\n");
        detect_boot();
        ck_assert_int_eq(m->bootloader.kind, BOOTLOADER_UNKNOWN);
        /* The distribution's default alone proves nothing. */
        ck_assert_int_eq(m->initramfs.kind, INITRAMFS_UNKNOWN);
        ck_assert_uint_eq(m->initramfs.evidence.n, 0);
        ck_assert_ptr_null(m->esp.path);
}
END_TEST

START_TEST(endeavouros_prefers_dracut)
{
        tl_write(root, "etc/os-release", "ID=endeavouros\nID_LIKE=arch\nNAME=EndeavourOS\n");
        tl_write(root, "usr/bin/mkinitcpio", "");
        tl_write(root, "usr/bin/dracut", "");
        detect_boot();
        ck_assert_int_eq(m->initramfs.kind, INITRAMFS_DRACUT);
        ck_assert(strv_contains(&m->initramfs.evidence, "EndeavourOS's default generator"));
        machine_free(m);
        m = tl_machine();
        tl_write(root, "etc/os-release", "ID=cachyos\nID_LIKE=arch\n");
        tl_write(root, "etc/booster.yaml", "");
        tl_write(root, "usr/bin/booster", "");
        detect_boot();
        ck_assert_int_eq(m->initramfs.kind, INITRAMFS_BOOSTER);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("boot");
        TCase *tc = tcase_create("boot");

        tl_fixture(tc);
        tcase_add_test(tc, esp_from_mountinfo_confirmed_by_udev);
        tcase_add_test(tc, esp_wrong_type_and_unprobed);
        tcase_add_test(tc, esp_from_layout);
        tcase_add_test(tc, grub_debian);
        tcase_add_test(tc, grub_bls_fedora);
        tcase_add_test(tc, systemd_boot_beats_grub_leftovers);
        tcase_add_test(tc, loader_info_variable_decides);
        tcase_add_test(tc, other_bootloaders);
        tcase_add_test(tc, nothing_known);
        tcase_add_test(tc, endeavouros_prefers_dracut);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
