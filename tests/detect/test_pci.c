/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "pci_names.h"

static bool warned(const char *needle)
{
        for (size_t i = 0; i < m->warnings.n; i++)
                if (strstr(m->warnings.v[i], needle))
                        return true;
        return false;
}

START_TEST(reads_devices_sorted_with_names)
{
        tl_pci_device(root, "0000:0b:00.1", "0x1002\n", "0xab28\n", "0x040300\n", 10, "snd_hda_intel");
        tl_pci_device(root, "0000:0b:00.0", "0x1002\n", "0x73bf\n", "0x030000\n", 9, "amdgpu");
        tl_pci_device(root, "0000:00:01.0", "0x1022\n", "0x1482\n", "0x060000\n", 0, NULL);
        tl_write(root, "sys/devices/pci0000:00/0000:0b:00.0/boot_vga", "0\n");
        ck_assert_int_eq(detect_pci(sr, m), 0);
        ck_assert_uint_eq(m->n_devices, 3);
        ck_assert_str_eq(m->devices[0].address, "0000:00:01.0");
        ck_assert_str_eq(m->devices[1].address, "0000:0b:00.0");
        ck_assert_uint_eq(m->devices[1].vendor_id, 0x1002);
        ck_assert_uint_eq(m->devices[1].device_id, 0x73bf);
        ck_assert_uint_eq(m->devices[1].class_id, 0x0300);
        ck_assert_int_eq(m->devices[1].iommu_group, 9);
        ck_assert_str_eq(m->devices[1].driver, "amdgpu");
        ck_assert_int_eq(m->devices[1].boot_vga, 0);
        ck_assert_int_eq(m->devices[2].boot_vga, -1);
        ck_assert_ptr_null(m->devices[0].driver);
        /* The PCI ID database knows AMD; the exact wording is the database's. */
        ck_assert_ptr_nonnull(m->devices[1].vendor_name);
        ck_assert_ptr_nonnull(strstr(m->devices[1].vendor_name, "AMD"));
        ck_assert_uint_eq(m->warnings.n, 0);
}
END_TEST

START_TEST(garbage_is_unknown_not_fatal)
{
        tl_pci_device(root, "0000:00:01.0", "garbage\n", "0x1482\n", "0x060000\n", 0, NULL);
        tl_pci_device(root, "0000:00:02.0", "0x8086\n", "0x3e98\n", "\n", 1, NULL);
        tl_pci_device(root, "0000:00:03.0", "0x1af4\n", "0x1000\n", "0x020000\n", 2, NULL);
        tl_symlink(root, "sys/bus/pci/devices/0000:00:04.0", "../../../devices/pci0000:00/nowhere");
        tl_symlink(root, "sys/bus/pci/devices/junk", "../../../devices/pci0000:00/junk");
        /* A missing mandatory file makes libpci give up on that device only. */
        tl_pci_device(root, "0000:00:05.0", "0x1af4\n", "0x1001\n", "0x010000\n", 3, NULL);
        {
                char path[512];
                snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:05.0/device", root);
                ck_assert_int_eq(unlink(path), 0);
        }
        /* All ones is an absent device's vendor id; a device id of ffff is the vendor's to give, as lspci shows it. */
        tl_pci_device(root, "0000:00:06.0", "0xffff\n", "0xffff\n", "0x020000\n", 4, NULL);
        tl_pci_device(root, "0000:00:07.0", "0x8086\n", "0xffff\n", "0x118000\n", 5, NULL);
        ck_assert_int_eq(detect_pci(sr, m), 0);
        ck_assert_uint_eq(m->n_devices, 7);
        ck_assert(!m->devices[5].ids_known);
        ck_assert(m->devices[6].ids_known && m->devices[6].device_id == 0xffff);
        ck_assert(!m->devices[0].ids_known);
        ck_assert(m->devices[1].ids_known);
        ck_assert(!m->devices[1].class_known);
        ck_assert(m->devices[2].ids_known && m->devices[2].class_known);
        ck_assert(!m->devices[3].ids_known);
        ck_assert(!m->devices[4].ids_known);
        ck_assert(warned("0000:00:01.0"));
        ck_assert(warned("0000:00:02.0: class unreadable"));
        ck_assert(warned("0000:00:04.0: its sysfs entry is a dangling link"));
        ck_assert(warned("junk: not a PCI address"));
        ck_assert(warned("0000:00:05.0"));
}
END_TEST

START_TEST(bad_group_link_is_warned)
{
        tl_pci_device(root, "0000:00:01.0", "0x1af4\n", "0x1000\n", "0x020000\n", -1, NULL);
        tl_symlink(root, "sys/devices/pci0000:00/0000:00:01.0/iommu_group", "../../../kernel/iommu_groups/abc");
        ck_assert_int_eq(detect_pci(sr, m), 0);
        ck_assert_int_eq(m->devices[0].iommu_group, PCI_GROUP_NONE);
        ck_assert(warned("names no group number"));
}
END_TEST

START_TEST(no_pci_at_all)
{
        ck_assert_int_eq(detect_pci(sr, m), 0);
        ck_assert_uint_eq(m->n_devices, 0);
        ck_assert_uint_eq(m->warnings.n, 0);
}
END_TEST

START_TEST(find_device_by_address)
{
        size_t i;

        tl_pci_device(root, "0000:0b:00.0", "0x1002\n", "0x73bf\n", "0x030000\n", 9, NULL);
        tl_pci_device(root, "0000:00:01.0", "0x1022\n", "0x1482\n", "0x060000\n", 0, NULL);
        ck_assert_int_eq(detect_pci(sr, m), 0);
        ck_assert_int_eq(machine_find_device(m, "0b:00.0", &i), 0);
        ck_assert_uint_eq(i, 1);
        ck_assert_int_eq(machine_find_device(m, "0000:00:01.0", &i), 0);
        ck_assert_uint_eq(i, 0);
        ck_assert_int_eq(machine_find_device(m, "0000:00:02.0", &i), -ENOENT);
        ck_assert_int_eq(machine_find_device(m, "nonsense", &i), -EINVAL);
}
END_TEST

/*
 * Names from a database in pci.ids's grammar, read in one pass: what libpci would name, and
 * nothing from lines it would not take (a vendor line that does not parse does not lend its
 * devices to the vendor above it).
 */
static void names_of(const char *db, struct pci_device *d, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(d[i].vendor_name);
                free(d[i].device_name);
                free(d[i].class_name);
                d[i].vendor_name = d[i].device_name = d[i].class_name = NULL;
        }
        ck_assert_int_eq(pci_names_fill(db, d, n), 0);
}

START_TEST(names_from_the_database)
{
        char long_line[1100], *text, *db, *gz, cmd[600];
        struct pci_device d[] = {
                { .ids_known = true, .class_known = true, .vendor_id = 0x1002, .device_id = 0x73bf, .class_id = 0x0300 },
                { .ids_known = true, .class_known = true, .vendor_id = 0x1002, .device_id = 0x1111, .class_id = 0x0380 },
                { .ids_known = true, .class_known = true, .vendor_id = 0x10de, .device_id = 0x2204, .class_id = 0x0403 },
                { .ids_known = true, .class_known = true, .vendor_id = 0x8086, .device_id = 0x1572, .class_id = 0x0c03 },
                { .ids_known = false, .class_known = false },
        };
        size_t n = sizeof(d) / sizeof(d[0]);

        memset(long_line, 'x', sizeof(long_line) - 1);
        long_line[sizeof(long_line) - 1] = '\0';
        ck_assert_int_gt(asprintf(&text,
                                  "# comment\n"
                                  "1002  Advanced Micro Devices, Inc. [AMD/ATI] \n"
                                  "\t73bf  Navi 21\r\n"
                                  "\t\t1002 0e3a  a subsystem, not a device\n"
                                  "%s\n"
                                  "1002  a second name for a vendor named already\n"
                                  "\t73bf  a second name too\n"
                                  "zz10de  a vendor line that does not parse\n"
                                  "\t2204  not NVIDIA's: its vendor line did not parse\n"
                                  "10de  NVIDIA Corporation\n"
                                  "X 12  a block not known yet\n"
                                  "\t1572  not Intel's\n"
                                  "8086  Intel Corporation\n"
                                  "C 03  Display controller\n"
                                  "\t00  VGA compatible controller\n"
                                  "\t\t00  VGA controller\n"
                                  "C 04  Multimedia controller\n"
                                  "\t03  Audio device\n"
                                  "C 0c  Serial bus controller\n"
                                  "\t03  USB controller",
                                  long_line), 0);
        tl_write(root, "pci.ids", text);
        ck_assert_int_gt(asprintf(&db, "%s/pci.ids", root), 0);
        ck_assert_int_gt(asprintf(&gz, "%s.gz", db), 0);

        for (int pass = 0; pass < 2; pass++) {
                names_of(pass ? gz : db, d, n);
                ck_assert_str_eq(d[0].vendor_name, "Advanced Micro Devices, Inc. [AMD/ATI]");
                ck_assert_str_eq(d[0].device_name, "Navi 21");
                ck_assert_str_eq(d[0].class_name, "VGA compatible controller");
                ck_assert_ptr_null(d[1].device_name);
                /* A class without its subclass is named with its number, as lspci shows it. */
                ck_assert_str_eq(d[1].class_name, "Display controller [0380]");
                ck_assert_str_eq(d[2].vendor_name, "NVIDIA Corporation");
                ck_assert_ptr_null(d[2].device_name);
                ck_assert_str_eq(d[2].class_name, "Audio device");
                ck_assert_str_eq(d[3].vendor_name, "Intel Corporation");
                ck_assert_ptr_null(d[3].device_name);
                /* The last line has no line end. */
                ck_assert_str_eq(d[3].class_name, "USB controller");
                ck_assert_ptr_null(d[4].vendor_name);
                ck_assert_ptr_null(d[4].class_name);
                snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s'", db, gz);
                ck_assert_int_eq(system(cmd), 0);
        }
        /* No database: no names, and no failure. */
        free(gz);
        ck_assert_int_gt(asprintf(&gz, "%s.absent", db), 0);
        names_of(gz, d, n);
        ck_assert_ptr_null(d[0].vendor_name);
        ck_assert_ptr_null(d[0].class_name);
        names_of(gz, d, 0);
        free(text);
        free(gz);
        free(db);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("pci");
        TCase *tc = tcase_create("pci");

        tl_fixture(tc);
        tcase_add_test(tc, reads_devices_sorted_with_names);
        tcase_add_test(tc, garbage_is_unknown_not_fatal);
        tcase_add_test(tc, bad_group_link_is_warned);
        tcase_add_test(tc, no_pci_at_all);
        tcase_add_test(tc, find_device_by_address);
        tcase_add_test(tc, names_from_the_database);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
