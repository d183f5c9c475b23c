/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The archive writer checked by the real tar, and snapshots that round-trip. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "vfio-setup/machine_json.h"
#include "vfio-setup/snapshot.h"
#include "vfio-setup/tar.h"

static char *root, *out;

static void setup(void)
{
        root = tl_root_new();
        out = tl_root_new();
}

static void teardown(void)
{
        tl_root_free(root);
        tl_root_free(out);
}

static void untar(const char *archive, const char *dir)
{
        char cmd[1024];

        snprintf(cmd, sizeof(cmd), "tar -xzf '%s' -C '%s'", archive, dir);
        ck_assert_int_eq(system(cmd), 0);
}

static char *slurp(const char *path)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "r");

        ck_assert_msg(f != NULL, "%s missing", path);
        ck_assert_int_ge(getdelim(&buf, &len, '\0', f), 0);
        fclose(f);
        return buf;
}

START_TEST(tar_is_read_by_tar)
{
        char archive[512], path[1024], longname[300], target[300], *s;
        struct tar *t;

        memset(longname, 'n', 150);
        longname[150] = '\0';
        memset(target, 't', 120);
        target[120] = '\0';
        snprintf(archive, sizeof(archive), "%s/a.tar.gz", out);
        ck_assert_int_eq(tar_open(archive, &t), 0);
        ck_assert_int_eq(tar_add_dir(t, "top", 0755), 0);
        ck_assert_int_eq(tar_add_file(t, "top/hello", 0644, "hi\n", 3), 0);
        snprintf(path, sizeof(path), "top/%s/%s", longname, longname);
        ck_assert_int_eq(tar_add_file(t, path, 0600, "deep", 4), 0);
        ck_assert_int_eq(tar_add_symlink(t, "top/link", target), 0);
        ck_assert_int_eq(tar_add_file(t, "top/empty", 0644, "", 0), 0);
        ck_assert_int_eq(tar_close(t), 0);

        untar(archive, out);
        snprintf(path, sizeof(path), "%s/top/hello", out);
        s = slurp(path);
        ck_assert_str_eq(s, "hi\n");
        free(s);
        snprintf(path, sizeof(path), "%s/top/%s/%s", out, longname, longname);
        s = slurp(path);
        ck_assert_str_eq(s, "deep");
        free(s);
        snprintf(path, sizeof(path), "%s/top/link", out);
        {
                char buf[512];
                ssize_t n = readlink(path, buf, sizeof(buf) - 1);
                ck_assert_int_eq(n, 120);
                buf[n] = '\0';
                ck_assert_str_eq(buf, target);
        }
}
END_TEST

static char *detect_json(const char *dir)
{
        struct sysroot *sr = tl_sysroot(dir);
        struct machine *m;
        char *json;

        ck_assert_int_eq(detect_machine(sr, &m), 0);
        ck_assert_int_eq(machine_to_json(m, &json), 0);
        machine_free(m);
        sysroot_free(sr);
        return json;
}

START_TEST(snapshot_round_trips)
{
        char archive[1024], unpacked[512], *before, *after;
        struct snapshot_stats st;
        struct sysroot *sr;
        struct stat sb;

        tl_pci_device(root, "0000:0b:00.0", "0x1002\n", "0x73bf\n", "0x030000\n", 9, "amdgpu");
        tl_pci_device(root, "0000:0b:00.1", "0x1002\n", "0xab28\n", "0x040300\n", 10, "snd_hda_intel");
        tl_pci_device(root, "0000:0a:00.0", "0x10de\n", "0x1c03\n", "0x030000\n", 8, "nvidia");
        tl_write(root, "sys/devices/pci0000:00/0000:0a:00.0/boot_vga", "1\n");
        tl_write(root, "sys/devices/pci0000:00/0000:0b:00.0/boot_vga", "0\n");
        tl_write(root, "proc/cpuinfo", "vendor_id : AuthenticAMD\nflags : svm\n");
        tl_write(root, "proc/cmdline", "ro quiet iommu=pt\n");
        tl_write(root, "sys/firmware/acpi/tables/IVRS", "secret-ish table bytes");
        tl_mkdir(root, "sys/class/iommu/ivhd0");
        tl_write(root, "usr/lib/os-release", "ID=arch\n");
        tl_symlink(root, "etc/os-release", "../usr/lib/os-release");
        tl_write(root, "etc/shadow", "root:$6$secret:19000::::::\n");
        tl_write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        tl_write(root, "boot/grub/grub.cfg", "password_pbkdf2 root grub.pbkdf2.sha512.10000.SECRET\n");
        tl_write(root, "proc/self/mountinfo", "41 1 259:1 / /boot/efi rw - vfat /dev/nvme0n1p1 rw\n");
        tl_write(root, "run/udev/data/b259:1", "E:ID_FS_TYPE=vfat\nE:ID_PART_ENTRY_TYPE=c12a7328-f81f-11d2-ba4b-00a0c93ec93b\n");
        tl_mkdir(root, "boot/efi/EFI");
        tl_write(root, "etc/modprobe.d/vfio.conf", "options vfio-pci ids=1002:73bf\n");
        tl_write(root, "proc/sys/kernel/osrelease", "6.9.1\n");
        tl_write(root, "lib/modules/6.9.1/modules.builtin", "kernel/drivers/vfio/pci/vfio-pci.ko\n");

        before = detect_json(root);
        snprintf(archive, sizeof(archive), "%s/machine.tar.gz", out);
        sr = tl_sysroot(root);
        ck_assert_int_eq(snapshot_write(sr, archive, "machine", &st), 0);
        sysroot_free(sr);
        ck_assert_uint_gt(st.files, 10);
        ck_assert(strv_contains(&st.paths, "etc/default/grub"));
        ck_assert(!strv_contains(&st.paths, "etc/shadow"));
        untar(archive, out);
        snprintf(unpacked, sizeof(unpacked), "%s/machine", out);
        after = detect_json(unpacked);
        ck_assert_str_eq(before, after);

        /* Existence-only files come as empty placeholders: no password hash leaves the machine. */
        snprintf(archive, sizeof(archive), "%s/boot/grub/grub.cfg", unpacked);
        ck_assert_int_eq(stat(archive, &sb), 0);
        ck_assert_int_eq(sb.st_size, 0);
        snprintf(archive, sizeof(archive), "%s/etc/shadow", unpacked);
        ck_assert_int_ne(access(archive, F_OK), 0);
        free(before);
        free(after);
        snapshot_stats_free(&st);
}
END_TEST

START_TEST(snapshot_reports_unwritable_output)
{
        struct snapshot_stats st;
        struct sysroot *sr = tl_sysroot(root);

        ck_assert_int_lt(snapshot_write(sr, "/nonexistent/dir/x.tar.gz", "x", &st), 0);
        sysroot_free(sr);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("snapshot");
        TCase *tc = tcase_create("snapshot");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, tar_is_read_by_tar);
        tcase_add_test(tc, snapshot_round_trips);
        tcase_add_test(tc, snapshot_reports_unwritable_output);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
