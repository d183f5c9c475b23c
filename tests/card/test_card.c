/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vfio-setup/card.h"
#include "vfio-setup/errors.h"

static const char one_line[] =
        "# A comment, not a key: it has spaces before its colon\n"
        "# cpu: intel\n"
        "# Kernel-IOMMU: yes\n"
        "# driver: 01:00.0 nvidia\n"
        "# boot-vga: 0000:00:02.0\n"
        "IOMMU Group 1 00:02.0 VGA compatible controller [0300]: Intel Corporation CoffeeLake-S GT2 [UHD Graphics 630] [8086:3e98] (rev 02)\n"
        "IOMMU Group 2 01:00.0 VGA compatible controller [0300]: NVIDIA Corporation TU106 [GeForce RTX 2070] [10de:1f02] (rev a1)\n"
        "IOMMU Group 2 01:00.2 USB controller [0c03]: NVIDIA Corporation TU106 USB 3.1 Host Controller [10de:1ada] (rev a1) (prog-if 30 [XHCI])\n"
        "some unrelated line\n";

static const char headers[] =
        "IOMMU Group 14:\n"
        "\t0000:0b:00.0 VGA compatible controller [0300]: Advanced Micro Devices, Inc. [AMD/ATI] Navi 21 [1002:73bf] (rev c1)\n"
        "IOMMU group 15:\r\n"
        "\t0b:00.1 Audio device [0403]: Advanced Micro Devices, Inc. [AMD/ATI] Navi 21/23 HDMI/DP Audio Controller [1002:ab28]\r\n"
        "00:00.0 Host bridge [0600]: Intel Corporation Device [8086:0d57]\n";

START_TEST(parses_one_line_form)
{
        struct card c;

        ck_assert_int_eq(card_parse(one_line, "/tmp", &c), 0);
        ck_assert_uint_eq(c.n_devices, 3);
        ck_assert_uint_eq(c.devices[0].class_id, 0x0300);
        ck_assert_uint_eq(c.devices[0].vendor_id, 0x8086);
        ck_assert_uint_eq(c.devices[0].device_id, 0x3e98);
        ck_assert_uint_eq(c.devices[0].revision, 0x02);
        ck_assert_int_eq(c.devices[1].group, 2);
        ck_assert_uint_eq(c.devices[2].prog_if, 0x30);
        ck_assert_uint_eq(c.devices[2].func, 2);
        ck_assert_uint_eq(c.keys.n, 4);
        ck_assert_str_eq(c.keys.v[1], "kernel-iommu\tyes");
        card_free(&c);
}
END_TEST

START_TEST(parses_header_form)
{
        struct card c;

        ck_assert_int_eq(card_parse(headers, NULL, &c), 0);
        ck_assert_uint_eq(c.n_devices, 3);
        ck_assert_int_eq(c.devices[0].group, 14);
        ck_assert_int_eq(c.devices[1].group, 15);
        ck_assert_uint_eq(c.devices[1].bus, 0x0b);
        ck_assert_uint_eq(c.devices[1].func, 1);
        /* The last header still applies: a listing has no "end of group". */
        ck_assert_int_eq(c.devices[2].group, 15);
        card_free(&c);
}
END_TEST

START_TEST(empty_card_is_an_error)
{
        struct card c;

        ck_assert_int_eq(card_parse("# cpu: amd\nnothing here\n", NULL, &c), -VS_E_CARD_EMPTY);
        ck_assert_int_eq(card_load("/nonexistent.card", &c), -ENOENT);
}
END_TEST

START_TEST(builds_a_root_detection_reads)
{
        char *root = tl_root_new(), *card_dir = tl_root_new(), path[512];
        struct machine *m;
        struct sysroot *sr;
        struct card c;
        FILE *f;

        snprintf(path, sizeof(path), "%s/os-release", card_dir);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("ID=ubuntu\nID_LIKE=debian\nNAME=Ubuntu\n", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/m.card", card_dir);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "%s# os-release: os-release\n# builtin: vfio-pci\n# touch: usr/sbin/update-initramfs\n"
                   "# line: etc/modprobe.d/vfio.conf=options vfio-pci ids=10de:1f02\n# mount: /boot/efi vfat /dev/sda1\n"
                   "# board-vendor: ASRock\n# cmdline: ro intel_iommu=on\n# kernel: 6.5.0-1\n",
                one_line);
        fclose(f);
        ck_assert_int_eq(card_load(path, &c), 0);
        ck_assert_int_eq(card_build_root(&c, root), 0);
        card_free(&c);

        sr = tl_sysroot(root);
        ck_assert_int_eq(detect_machine(sr, &m), 0);
        ck_assert_int_eq(m->cpu.vendor, CPU_VENDOR_INTEL);
        ck_assert_str_eq(m->cpu.virt_flag, "vmx");
        ck_assert_str_eq(m->iommu.firmware_table, "DMAR");
        ck_assert(m->iommu.kernel_active);
        ck_assert_uint_eq(m->n_devices, 3);
        ck_assert_str_eq(m->devices[1].driver, "nvidia");
        ck_assert_int_eq(m->devices[0].boot_vga, 1);
        ck_assert_int_eq(m->devices[1].boot_vga, 0);
        ck_assert_str_eq(m->distro.id, "ubuntu");
        ck_assert_str_eq(m->board.vendor, "ASRock");
        ck_assert_int_eq(m->vfio.builtin, TRI_YES);
        ck_assert_str_eq(m->vfio.kernel, "6.5.0-1");
        ck_assert_uint_eq(m->vfio.n_ids, 1);
        ck_assert_str_eq(m->esp.path, "/boot/efi");
        ck_assert_int_eq(m->initramfs.kind, INITRAMFS_INITRAMFS_TOOLS);
        ck_assert_uint_eq(m->warnings.n, 0);
        machine_free(m);
        sysroot_free(sr);
        tl_root_free(root);
        tl_root_free(card_dir);
}
END_TEST

START_TEST(cards_cannot_write_outside_the_root)
{
        static const char *const bad[] = {
                "# touch: ../escaped\n", "# touch: /etc/escaped\n", "# line: a/../../escaped=x\n",
                "# file: etc/x=../../etc/shadow\n", "# driver: 05:00.0 nvidia\n", "# mount: /boot\n",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *root = tl_root_new(), *text;
                struct card c;

                ck_assert_int_ge(asprintf(&text, "%s%s", bad[i], headers), 0);
                ck_assert_int_eq(card_parse(text, "/tmp", &c), 0);
                ck_assert_msg(card_build_root(&c, root) == -VS_E_CARD_SYNTAX, "accepted: %s", bad[i]);
                card_free(&c);
                free(text);
                tl_root_free(root);
        }
}
END_TEST

/* Behind bridges, as the kernel nests them: two levels, links that resolve from every depth. */
START_TEST(nests_devices_behind_their_bridges)
{
        static const char nested[] =
                "# secondary-bus: 00:01.0 01\n"
                "# secondary-bus: 01:00.0 02\n"
                "# driver: 02:00.0 amdgpu\n"
                "# disk: 02:00.0 nvme0n1 100\n"
                "IOMMU Group 1 00:01.0 PCI bridge [0604]: Intel Corporation Port [8086:1901]\n"
                "IOMMU Group 1 01:00.0 PCI bridge [0604]: AMD Navi 10 XL Upstream Port [1002:1478]\n"
                "IOMMU Group 1 02:00.0 VGA compatible controller [0300]: AMD Navi 21 [1002:73bf]\n";
        static const char *const links[][2] = {
                { "sys/bus/pci/devices/0000:02:00.0",
                  "devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.0" },
                { "sys/bus/pci/devices/0000:02:00.0/iommu_group", "kernel/iommu_groups/1" },
                { "sys/bus/pci/devices/0000:02:00.0/driver", "bus/pci/drivers/amdgpu" },
                { "sys/bus/pci/drivers/amdgpu/0000:02:00.0",
                  "devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.0" },
                { "sys/kernel/iommu_groups/1/devices/0000:01:00.0", "devices/pci0000:00/0000:00:01.0/0000:01:00.0" },
                { "sys/block/nvme0n1", "devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.0/host0/nvme0n1" },
        };
        static const char *const bad[] = {
                "# secondary-bus: 03:00.0 04\n",                        /* a bridge the card does not list */
                "# secondary-bus: 00:01.0 01\n# secondary-bus: 01:00.0 00\n", /* buses in a circle */
                "# secondary-bus: 00:01.0\n",                            /* no bus */
        };
        char *root = tl_root_new(), sys[PATH_MAX], path[512], real[PATH_MAX], want[2 * PATH_MAX], line[16];
        struct card c;
        FILE *f;

        ck_assert_int_eq(card_parse(nested, NULL, &c), 0);
        ck_assert_int_eq(card_build_root(&c, root), 0);
        card_free(&c);
        snprintf(path, sizeof(path), "%s/sys", root);
        ck_assert_ptr_nonnull(realpath(path, sys));
        for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", root, links[i][0]);
                ck_assert_msg(realpath(path, real) != NULL, "%s does not resolve", links[i][0]);
                snprintf(want, sizeof(want), "%s/%s", sys, links[i][1]);
                ck_assert_str_eq(real, want);
        }
        snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/secondary_bus_number", root);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
        fclose(f);
        ck_assert_str_eq(line, "2\n");
        tl_root_free(root);

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *text;

                root = tl_root_new();
                ck_assert_int_ge(asprintf(&text, "%s%s", bad[i], nested + strlen("# secondary-bus: 00:01.0 01\n")), 0);
                ck_assert_int_eq(card_parse(text, NULL, &c), 0);
                ck_assert_msg(card_build_root(&c, root) == -VS_E_CARD_SYNTAX, "accepted: %s", bad[i]);
                card_free(&c);
                free(text);
                tl_root_free(root);
        }
}
END_TEST

int main(void)
{
        Suite *s = suite_create("card");
        TCase *tc = tcase_create("card");

        tcase_add_test(tc, parses_one_line_form);
        tcase_add_test(tc, parses_header_form);
        tcase_add_test(tc, empty_card_is_an_error);
        tcase_add_test(tc, builds_a_root_detection_reads);
        tcase_add_test(tc, cards_cannot_write_outside_the_root);
        tcase_add_test(tc, nests_devices_behind_their_bridges);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
