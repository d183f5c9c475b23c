/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cpu, board, iommu, distro and vfio state: the small readers of proc, sys and etc. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static const char amd_cpuinfo[] = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD Ryzen 9 7950X\n"
                                  "flags\t\t: fpu vme svm_lock svm npt\n\n"
                                  "processor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD Ryzen 9 7950X\n"
                                  "flags\t\t: fpu vme svm_lock svm npt\n\n";

START_TEST(cpu_amd_with_svm)
{
        tl_write(root, "proc/cpuinfo", amd_cpuinfo);
        ck_assert_int_eq(detect_cpu(sr, m), 0);
        ck_assert(m->cpu.known);
        ck_assert_int_eq(m->cpu.vendor, CPU_VENDOR_AMD);
        ck_assert_str_eq(m->cpu.model, "AMD Ryzen 9 7950X");
        ck_assert_str_eq(m->cpu.virt_flag, "svm");
        ck_assert(!m->cpu.hypervisor);
        ck_assert_uint_eq(m->cpu.threads, 2);
}
END_TEST

START_TEST(cpu_flag_must_be_a_whole_word)
{
        /* svm_lock is not svm; vmx inside another word is not vmx. */
        tl_write(root, "proc/cpuinfo", "vendor_id\t: AuthenticAMD\nflags\t\t: fpu svm_lock nosvm\n");
        ck_assert_int_eq(detect_cpu(sr, m), 0);
        ck_assert_ptr_null(m->cpu.virt_flag);
}
END_TEST

START_TEST(cpu_intel_in_a_vm)
{
        tl_write(root, "proc/cpuinfo", "processor : 0\nvendor_id : GenuineIntel\nmodel name : Intel Xeon\n"
                                        "flags : fpu vmx hypervisor\n");
        ck_assert_int_eq(detect_cpu(sr, m), 0);
        ck_assert_int_eq(m->cpu.vendor, CPU_VENDOR_INTEL);
        ck_assert_str_eq(m->cpu.virt_flag, "vmx");
        ck_assert(m->cpu.hypervisor);
}
END_TEST

START_TEST(cpu_unknown_and_missing)
{
        tl_write(root, "proc/cpuinfo", "processor : 0\nBogoMIPS : 48.00\nCPU implementer : 0x41\n");
        ck_assert_int_eq(detect_cpu(sr, m), 0);
        ck_assert(!m->cpu.known);
        ck_assert_uint_eq(m->warnings.n, 1);
        machine_free(m);
        m = tl_machine();
        tl_write(root, "proc/cpuinfo", "vendor_id : CentaurHauls\n");
        ck_assert_int_eq(detect_cpu(sr, m), 0);
        ck_assert_int_eq(m->cpu.vendor, CPU_VENDOR_UNKNOWN);
        ck_assert_ptr_null(m->cpu.virt_flag);
}
END_TEST

START_TEST(board_from_dmi)
{
        tl_write(root, "sys/class/dmi/id/board_vendor", "ASUSTeK COMPUTER INC.\n");
        tl_write(root, "sys/class/dmi/id/board_name", "ROG STRIX X570-E GAMING\n");
        tl_write(root, "sys/class/dmi/id/bios_version", "4021\n");
        tl_write(root, "sys/class/dmi/id/product_name", "To be filled by O.E.M.\n");
        /* A directory where a file belongs cannot be read: a warning, not a failure. */
        tl_mkdir(root, "sys/class/dmi/id/bios_date");
        ck_assert_int_eq(detect_board(sr, m), 0);
        ck_assert_str_eq(m->board.vendor, "ASUSTeK COMPUTER INC.");
        ck_assert_str_eq(m->board.name, "ROG STRIX X570-E GAMING");
        ck_assert_str_eq(m->board.bios_version, "4021");
        ck_assert_ptr_null(m->board.product_name);
        ck_assert_ptr_null(m->board.bios_date);
        ck_assert_uint_eq(m->warnings.n, 1);
        ck_assert_ptr_nonnull(strstr(m->warnings.v[0], "bios_date"));
}
END_TEST

START_TEST(board_missing_is_fine)
{
        ck_assert_int_eq(detect_board(sr, m), 0);
        ck_assert_ptr_null(m->board.vendor);
        ck_assert_uint_eq(m->warnings.n, 0);
}
END_TEST

START_TEST(iommu_active_with_tokens)
{
        tl_write(root, "sys/firmware/acpi/tables/DMAR", "");
        tl_mkdir(root, "sys/class/iommu/dmar0");
        tl_mkdir(root, "sys/class/iommu/dmar1");
        tl_mkdir(root, "sys/kernel/iommu_groups/0");
        tl_mkdir(root, "sys/kernel/iommu_groups/1");
        tl_mkdir(root, "sys/kernel/iommu_groups/12");
        tl_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet intel_iommu=on iommu=pt vfio-pci.ids=10de:1c03 "
                                       "video=efifb:off video=1920x1080 pcie_acs_override=downstream kvm.ignore_msrs=1 "
                                       "-- iommu=off\n");
        ck_assert_int_eq(detect_iommu(sr, m), 0);
        ck_assert_str_eq(m->iommu.firmware_table, "DMAR");
        ck_assert(m->iommu.kernel_active);
        ck_assert_uint_eq(m->iommu.unit_count, 2);
        ck_assert_uint_eq(m->iommu.group_count, 3);
        ck_assert_uint_eq(m->iommu.cmdline_tokens.n, 6);
        ck_assert_str_eq(m->iommu.cmdline_tokens.v[0], "intel_iommu=on");
        ck_assert_str_eq(m->iommu.cmdline_tokens.v[2], "vfio-pci.ids=10de:1c03");
        ck_assert_str_eq(m->iommu.cmdline_tokens.v[3], "video=efifb:off");
        ck_assert(!strv_contains(&m->iommu.cmdline_tokens, "iommu=off"));
}
END_TEST

START_TEST(iommu_off)
{
        tl_write(root, "sys/firmware/acpi/tables/IVRS", "");
        tl_mkdir(root, "sys/kernel/iommu_groups");
        ck_assert_int_eq(detect_iommu(sr, m), 0);
        ck_assert_str_eq(m->iommu.firmware_table, "IVRS");
        ck_assert(!m->iommu.kernel_active);
        ck_assert_uint_eq(m->iommu.group_count, 0);
        ck_assert_ptr_null(m->iommu.cmdline);
}
END_TEST

START_TEST(distro_prefers_etc)
{
        tl_write(root, "usr/lib/os-release", "ID=arch\nNAME=\"Arch Linux\"\n");
        tl_write(root, "etc/os-release", "ID=endeavouros\nID_LIKE=arch\nNAME='EndeavourOS'\nVERSION_ID=2024.09\n");
        ck_assert_int_eq(detect_distro(sr, m), 0);
        ck_assert_str_eq(m->distro.source, "etc/os-release");
        ck_assert_str_eq(m->distro.id, "endeavouros");
        ck_assert_str_eq(m->distro.id_like, "arch");
        ck_assert_str_eq(m->distro.name, "EndeavourOS");
        ck_assert_str_eq(m->distro.version_id, "2024.09");
}
END_TEST

START_TEST(distro_falls_back_to_usr_lib)
{
        tl_write(root, "usr/lib/os-release", "ID=arch\nNAME=\"Arch Linux\"\n");
        ck_assert_int_eq(detect_distro(sr, m), 0);
        ck_assert_str_eq(m->distro.source, "usr/lib/os-release");
        ck_assert_str_eq(m->distro.id, "arch");
        ck_assert_ptr_null(m->distro.id_like);
}
END_TEST

START_TEST(vfio_ids_from_cmdline_and_modprobe)
{
        tl_write(root, "proc/cmdline", "ro vfio_pci.ids=10DE:2484,10de:228b:1043:87c0 quiet\n");
        ck_assert_int_eq(detect_iommu(sr, m), 0);
        tl_write(root, "proc/sys/kernel/osrelease", "6.9.1-arch1-1\n");
        tl_write(root, "lib/modules/6.9.1-arch1-1/modules.builtin", "kernel/drivers/vfio/vfio.ko\nkernel/drivers/vfio/pci/vfio-pci.ko\n");
        tl_write(root, "etc/modprobe.d/vfio.conf", "# mine\noptions vfio-pci \\\n  ids=1002:73bf,1002:ab28 disable_vga=1\n"
                                                   "options snd-hda-intel ids=1234:5678\n");
        /* Same name in usr/lib is hidden by etc; another name is read. */
        tl_write(root, "usr/lib/modprobe.d/vfio.conf", "options vfio_pci ids=dead:beef\n");
        tl_write(root, "usr/lib/modprobe.d/other.conf", "options vfio_pci ids=1b21:0612 # comment ids=0000:0000\n");
        tl_write(root, "etc/modprobe.d/notconf.txt", "options vfio_pci ids=ffff:ffff\n");
        ck_assert_int_eq(detect_vfio_state(sr, m), 0);
        ck_assert_str_eq(m->vfio.kernel, "6.9.1-arch1-1");
        ck_assert_int_eq(m->vfio.builtin, TRI_YES);
        ck_assert_uint_eq(m->vfio.n_ids, 5);
        ck_assert_str_eq(m->vfio.ids[0].id, "10de:2484");
        ck_assert_str_eq(m->vfio.ids[0].source, "kernel command line");
        ck_assert_str_eq(m->vfio.ids[1].id, "10de:228b");
        ck_assert_str_eq(m->vfio.ids[2].id, "1002:73bf");
        ck_assert_str_eq(m->vfio.ids[2].source, "/etc/modprobe.d/vfio.conf:2");
        ck_assert_str_eq(m->vfio.ids[4].id, "1b21:0612");
        ck_assert_str_eq(m->vfio.ids[4].source, "/usr/lib/modprobe.d/other.conf:1");
}
END_TEST

START_TEST(vfio_builtin_states)
{
        tl_write(root, "proc/sys/kernel/osrelease", "6.1.0-26-amd64\n");
        ck_assert_int_eq(detect_vfio_state(sr, m), 0);
        ck_assert_int_eq(m->vfio.builtin, TRI_UNKNOWN);
        machine_free(m);
        m = tl_machine();
        tl_write(root, "usr/lib/modules/6.1.0-26-amd64/modules.builtin", "kernel/drivers/vfio/vfio.ko\n");
        ck_assert_int_eq(detect_vfio_state(sr, m), 0);
        ck_assert_int_eq(m->vfio.builtin, TRI_NO);
        ck_assert_uint_eq(m->vfio.n_ids, 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("host");
        TCase *tc = tcase_create("host");

        tl_fixture(tc);
        tcase_add_test(tc, cpu_amd_with_svm);
        tcase_add_test(tc, cpu_flag_must_be_a_whole_word);
        tcase_add_test(tc, cpu_intel_in_a_vm);
        tcase_add_test(tc, cpu_unknown_and_missing);
        tcase_add_test(tc, board_from_dmi);
        tcase_add_test(tc, board_missing_is_fine);
        tcase_add_test(tc, iommu_active_with_tokens);
        tcase_add_test(tc, iommu_off);
        tcase_add_test(tc, distro_prefers_etc);
        tcase_add_test(tc, distro_falls_back_to_usr_lib);
        tcase_add_test(tc, vfio_ids_from_cmdline_and_modprobe);
        tcase_add_test(tc, vfio_builtin_states);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
