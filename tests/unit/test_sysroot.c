/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char *root;

static void setup(void)
{
        root = tl_root_new();
}

static void teardown(void)
{
        tl_root_free(root);
        root = NULL;
}

START_TEST(new_refuses_missing_and_files)
{
        struct sysroot *sr;
        char *file;

        ck_assert_int_eq(sysroot_new("/nonexistent/vfio-setup", &sr), -ENOENT);
        tl_write(root, "f", "x");
        ck_assert_int_ge(asprintf(&file, "%s/f", root), 0);
        ck_assert_int_eq(sysroot_new(file, &sr), -ENOTDIR);
        free(file);
}
END_TEST

START_TEST(paths_join_under_root)
{
        struct sysroot *sr = tl_sysroot(root);
        char *p, *want;

        ck_assert_int_eq(sysroot_path(sr, "/etc/os-release", &p), 0);
        ck_assert_int_ge(asprintf(&want, "%s/etc/os-release", root), 0);
        ck_assert_str_eq(p, want);
        free(p);
        free(want);
        sysroot_free(sr);

        ck_assert_int_eq(sysroot_new("/", &sr), 0);
        ck_assert_int_eq(sysroot_path(sr, "etc", &p), 0);
        ck_assert_str_eq(p, "/etc");
        ck_assert_str_eq(sysroot_dir(sr), "/");
        free(p);
        sysroot_free(sr);
}
END_TEST

START_TEST(absolute_links_stay_inside)
{
        struct sysroot *sr;
        char *content;

        /* An absolute link means the root's own /usr, not the host's. */
        tl_write(root, "usr/lib/os-release", "ID=inside\n");
        tl_symlink(root, "etc/os-release", "/usr/lib/os-release");
        /* ".." stops at the root, as it does at "/". */
        tl_symlink(root, "etc/up", "../../../../../usr/lib/os-release");
        tl_symlink(root, "lib", "usr/lib");
        tl_symlink(root, "loop", "loop");
        sr = tl_sysroot(root);
        ck_assert_int_eq(sysroot_read(sr, "etc/os-release", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "ID=inside\n");
        free(content);
        ck_assert_int_eq(sysroot_read(sr, "etc/up", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "ID=inside\n");
        free(content);
        ck_assert_int_eq(sysroot_read(sr, "/lib/./os-release", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "ID=inside\n");
        free(content);
        ck_assert(sysroot_is_dir(sr, "lib"));
        ck_assert_int_eq(sysroot_read(sr, "loop", 0, &content, NULL), -ELOOP);
        sysroot_free(sr);
}
END_TEST

START_TEST(reads_and_numbers)
{
        struct sysroot *sr;
        unsigned long v;
        char *s;
        size_t len;

        tl_write(root, "num", "0x10de\n");
        tl_write(root, "dec", "42");
        tl_write(root, "junk", "garbage\n");
        tl_write(root, "empty", "");
        tl_write(root, "neg", "-1\n");
        tl_write(root, "line", "  first line  \nsecond\n");
        sr = tl_sysroot(root);
        ck_assert_int_eq(sysroot_read_uint(sr, "num", &v), 0);
        ck_assert_uint_eq(v, 0x10de);
        ck_assert_int_eq(sysroot_read_uint(sr, "dec", &v), 0);
        ck_assert_uint_eq(v, 42);
        ck_assert_int_eq(sysroot_read_uint(sr, "junk", &v), -EBADMSG);
        ck_assert_int_eq(sysroot_read_uint(sr, "empty", &v), -EBADMSG);
        ck_assert_int_eq(sysroot_read_uint(sr, "neg", &v), -EBADMSG);
        ck_assert_int_eq(sysroot_read_uint(sr, "missing", &v), -ENOENT);
        ck_assert_int_eq(sysroot_read_line(sr, "line", &s), 0);
        ck_assert_str_eq(s, "first line");
        free(s);
        ck_assert_int_eq(sysroot_read(sr, "line", 5, &s, &len), 0);
        ck_assert_uint_eq(len, 5);
        ck_assert_str_eq(s, "  fir");
        free(s);
        sysroot_free(sr);
}
END_TEST

START_TEST(big_files_read_whole)
{
        struct sysroot *sr;
        char *big = malloc(100001), *s;
        size_t len;

        memset(big, 'x', 100000);
        big[100000] = '\0';
        tl_write(root, "big", big);
        sr = tl_sysroot(root);
        ck_assert_int_eq(sysroot_read(sr, "big", 0, &s, &len), 0);
        ck_assert_uint_eq(len, 100000);
        ck_assert_str_eq(s, big);
        free(s);
        free(big);
        sysroot_free(sr);
}
END_TEST

START_TEST(links_lists_and_stat)
{
        struct sysroot *sr;
        struct strv names = { 0 };
        char *s;

        tl_mkdir(root, "d/b");
        tl_write(root, "d/a", "");
        tl_write(root, "d/c", "");
        tl_symlink(root, "l", "../../bus/pci/drivers/nvidia");
        sr = tl_sysroot(root);
        ck_assert_int_eq(sysroot_list(sr, "d", &names), 0);
        ck_assert_uint_eq(names.n, 3);
        ck_assert_str_eq(names.v[0], "a");
        ck_assert_str_eq(names.v[2], "c");
        strv_free(&names);
        ck_assert_int_eq(sysroot_list(sr, "missing", &names), -ENOENT);
        ck_assert_int_eq(sysroot_readlink_base(sr, "l", &s), 0);
        ck_assert_str_eq(s, "nvidia");
        free(s);
        ck_assert(sysroot_is_dir(sr, "d/b"));
        ck_assert(!sysroot_is_dir(sr, "d/a"));
        ck_assert(sysroot_exists(sr, "d/a"));
        /* A dangling link exists as a link, not as what it names. */
        ck_assert(!sysroot_exists(sr, "l"));
        sysroot_free(sr);
}
END_TEST

START_TEST(records_accesses)
{
        struct sysroot *sr;
        const struct sysroot_access *a;
        size_t n;
        char *s;

        tl_write(root, "f", "x");
        sr = tl_sysroot(root);
        ck_assert_int_eq(sysroot_read(sr, "f", 0, &s, NULL), 0);
        free(s);
        a = sysroot_accesses(sr, &n);
        ck_assert_uint_eq(n, 0);
        sysroot_record(sr, true);
        ck_assert_int_eq(sysroot_read(sr, "/f", 7, &s, NULL), 0);
        free(s);
        (void)sysroot_exists(sr, "g");
        sysroot_record(sr, false);
        (void)sysroot_exists(sr, "h");
        a = sysroot_accesses(sr, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(a[0].path, "f");
        ck_assert_int_eq(a[0].use, SYSROOT_USE_READ);
        ck_assert_uint_eq(a[0].limit, 7);
        ck_assert_str_eq(a[1].path, "g");
        ck_assert_int_eq(a[1].use, SYSROOT_USE_STAT);
        sysroot_free(sr);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("sysroot");
        TCase *tc = tcase_create("sysroot");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, new_refuses_missing_and_files);
        tcase_add_test(tc, paths_join_under_root);
        tcase_add_test(tc, absolute_links_stay_inside);
        tcase_add_test(tc, reads_and_numbers);
        tcase_add_test(tc, big_files_read_whole);
        tcase_add_test(tc, links_lists_and_stat);
        tcase_add_test(tc, records_accesses);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
