/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

char *tl_root_new(void)
{
        const char *tmp = getenv("TMPDIR");
        char *root;

        ck_assert_int_ge(asprintf(&root, "%s/vfio-setup-test-XXXXXX", tmp && *tmp ? tmp : "/tmp"), 0);
        ck_assert_ptr_nonnull(mkdtemp(root));
        return root;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_DP)
                chmod(path, 0755);
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void tl_root_free(char *root)
{
        if (root)
                nftw(root, rm_one, 32, FTW_DEPTH | FTW_PHYS);
        free(root);
}

static char *join(const char *root, const char *rel)
{
        char *p;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel[0] == '/' ? rel + 1 : rel), 0);
        return p;
}

static void mkdirs(char *path)
{
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", path);
                *p = '/';
        }
        ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", path);
}

static void parents(const char *path)
{
        char *copy = strdup(path);

        mkdirs(dirname(copy));
        free(copy);
}

void tl_mkdir(const char *root, const char *rel)
{
        char *p = join(root, rel);

        mkdirs(p);
        free(p);
}

void tl_write_bytes(const char *root, const char *rel, const void *data, size_t len)
{
        char *p = join(root, rel);
        int fd;

        parents(p);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ck_assert_msg(fd >= 0, "open %s: %m", p);
        ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
        close(fd);
        free(p);
}

void tl_write(const char *root, const char *rel, const char *content)
{
        tl_write_bytes(root, rel, content, strlen(content));
}

void tl_symlink(const char *root, const char *rel, const char *target)
{
        char *p = join(root, rel);

        parents(p);
        ck_assert_msg(symlink(target, p) == 0, "symlink %s: %m", p);
        free(p);
}

struct machine *tl_machine(void)
{
        struct machine *m = calloc(1, sizeof(*m));

        ck_assert_ptr_nonnull(m);
        return m;
}

struct sysroot *tl_sysroot(const char *root)
{
        struct sysroot *sr;

        ck_assert_int_eq(sysroot_new(root, &sr), 0);
        return sr;
}

void tl_pci_device(const char *root, const char *bdf, const char *vendor, const char *device, const char *class,
                   int group, const char *driver)
{
        char dir[128], path[256], target[256];
        static const char resource[] = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";

        snprintf(dir, sizeof(dir), "sys/devices/pci0000:00/%s", bdf);
        snprintf(path, sizeof(path), "%s/vendor", dir);
        tl_write(root, path, vendor);
        snprintf(path, sizeof(path), "%s/device", dir);
        tl_write(root, path, device);
        snprintf(path, sizeof(path), "%s/class", dir);
        tl_write(root, path, class);
        snprintf(path, sizeof(path), "%s/revision", dir);
        tl_write(root, path, "0x00\n");
        snprintf(path, sizeof(path), "%s/irq", dir);
        tl_write(root, path, "0\n");
        snprintf(path, sizeof(path), "%s/resource", dir);
        tl_write(root, path, resource);
        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s", bdf);
        snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
        tl_symlink(root, path, target);
        if (group >= 0) {
                snprintf(path, sizeof(path), "%s/iommu_group", dir);
                snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
                tl_symlink(root, path, target);
                snprintf(path, sizeof(path), "sys/kernel/iommu_groups/%d/devices/%s", group, bdf);
                snprintf(target, sizeof(target), "../../../../devices/pci0000:00/%s", bdf);
                tl_symlink(root, path, target);
        }
        if (driver) {
                snprintf(path, sizeof(path), "sys/bus/pci/drivers/%s", driver);
                tl_mkdir(root, path);
                snprintf(path, sizeof(path), "%s/driver", dir);
                snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
                tl_symlink(root, path, target);
        }
}

int tl_run(Suite *s)
{
        SRunner *sr = srunner_create(s);
        int failed;

        /* TAP on stdout for meson; check's own report would garble it. */
        srunner_set_tap(sr, "-");
        srunner_run_all(sr, CK_SILENT);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
