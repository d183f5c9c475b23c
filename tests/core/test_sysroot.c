/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vfio-setup/errors.h"

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
        /* Where each leads, named below the root. */
        ck_assert_int_eq(sysroot_resolve(sr, "etc/up", &content), 0);
        ck_assert_str_eq(content, "usr/lib/os-release");
        free(content);
        ck_assert_int_eq(sysroot_resolve(sr, "lib/../lib", &content), 0);
        ck_assert_str_eq(content, "usr/lib");
        free(content);
        tl_symlink(root, "top", "/");
        ck_assert_int_eq(sysroot_resolve(sr, "top", &content), 0);
        ck_assert_str_eq(content, ".");
        free(content);
        ck_assert_int_eq(sysroot_resolve(sr, "loop", &content), -ELOOP);
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

/* Only regular files are read: a FIFO would hang the reader, a device could be anything. */
START_TEST(reads_refuse_what_is_not_a_file)
{
        struct sysroot *sr;
        char *path, *s;
        int fd;

        tl_mkdir(root, "etc/dir");
        ck_assert_int_ge(asprintf(&path, "%s/etc/fifo", root), 0);
        ck_assert_int_eq(mkfifo(path, 0644), 0);
        free(path);
        sr = tl_sysroot(root);
        ck_assert_int_eq(sysroot_read(sr, "etc/fifo", 0, &s, NULL), -VS_E_NOT_REGULAR);
        ck_assert_int_eq(sysroot_read(sr, "etc/fifo", 10, &s, NULL), -VS_E_NOT_REGULAR);
        ck_assert_int_eq(sysroot_read(sr, "etc/dir", 0, &s, NULL), -EISDIR);
        ck_assert_int_eq(sysroot_open_regular(sr, "etc/fifo", &fd), -VS_E_NOT_REGULAR);
        sysroot_free(sr);
}
END_TEST

/* A sparse gigabyte costs a read of the cap, not a gigabyte of memory. */
START_TEST(whole_reads_are_capped)
{
        struct sysroot *sr;
        char *path, *s;
        size_t len;
        int fd;

        ck_assert_int_ge(asprintf(&path, "%s/cpuinfo", root), 0);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, 1L << 30), 0);
        close(fd);
        free(path);
        sr = tl_sysroot(root);
        ck_assert_int_eq(sysroot_read(sr, "cpuinfo", 0, &s, &len), -EFBIG);
        ck_assert_int_eq(sysroot_read(sr, "cpuinfo", 100, &s, &len), 0);
        ck_assert_uint_eq(len, 100);
        free(s);
        sysroot_free(sr);
}
END_TEST

/* Makes openat2 answer ENOSYS, as older kernels and some sandboxes do, so the user-space walk runs. */
static void without_openat2(void)
{
        struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };

        ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        ck_assert_int_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
}

struct mover {
        char *inside, *outside;
        volatile bool stop;
};

static void *move_back_and_forth(void *arg)
{
        struct mover *m = arg;

        while (!m->stop) {
                (void)!rename(m->inside, m->outside);
                (void)!rename(m->outside, m->inside);
                /* Where threads take turns (valgrind), the reader gets its turn too. */
                sched_yield();
        }
        return NULL;
}

/*
 * The walk keeps the descriptors it came down through: a directory renamed
 * out of the root while a path inside it is resolved cannot take ".." (and the
 * open that follows) out with it.
 */
static void race(bool user_space)
{
        struct mover m = { 0 };
        struct sysroot *sr;
        pthread_t t;
        char *base = tl_root_new(), *tree, *s;
        int escaped = 0, fd;

        tl_write(base, "secret", "outside\n");
        tl_mkdir(base, "out");
        tl_write(base, "root/secret", "inside\n");
        tl_mkdir(base, "root/x/y/z");
        ck_assert_int_ge(asprintf(&tree, "%s/root", base), 0);
        ck_assert_int_ge(asprintf(&m.inside, "%s/root/x/y", base), 0);
        ck_assert_int_ge(asprintf(&m.outside, "%s/out/y", base), 0);
        if (user_space)
                without_openat2();
        ck_assert_int_eq(sysroot_new(tree, &sr), 0);
        ck_assert_int_eq(pthread_create(&t, NULL, move_back_and_forth, &m), 0);
        struct timespec start, now;

        clock_gettime(CLOCK_MONOTONIC, &start);
        /* 3000 tries, or two seconds where they are slow (valgrind runs the threads one at a time). */
        for (int i = 0; i < 3000; i++) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= 2)
                        break;
                if (sysroot_read(sr, "x/y/z/../../../secret", 0, &s, NULL) == 0) {
                        escaped += strcmp(s, "inside\n") != 0;
                        free(s);
                }
                /* What apply does to write: open the directory, then work in it. */
                if (sysroot_open(sr, "x/y/z/../..", O_RDONLY | O_DIRECTORY, &fd) == 0) {
                        escaped += faccessat(fd, "secret", F_OK, 0) == 0 && faccessat(fd, "root", F_OK, 0) == 0;
                        close(fd);
                }
        }
        m.stop = true;
        pthread_join(t, NULL);
        ck_assert_int_eq(escaped, 0);
        sysroot_free(sr);
        free(m.inside);
        free(m.outside);
        free(tree);
        tl_root_free(base);
}

START_TEST(renames_cannot_lead_out)
{
        race(false);
}
END_TEST

START_TEST(renames_cannot_lead_the_walk_out)
{
        race(true);
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

/*
 * A directory opened once, its entries read by name: as sysroot_read would read them, a link
 * followed inside the root, nothing but a regular file read, and never a path that leaves it.
 */
START_TEST(directory_entries_read_by_name)
{
        struct sysroot_dir dir;
        struct sysroot *sr;
        unsigned long v;
        char buf[8], *base, *path;
        size_t len;

        tl_write(root, "sys/devices/dev0/vendor", "0x1002\n");
        tl_write(root, "sys/devices/dev0/long", "0123456789");
        tl_write(root, "secret", "inside\n");
        tl_write(root, "sys/secret", "one level up\n");
        /* An absolute link and one climbing past the root both mean the root's own file. */
        tl_symlink(root, "sys/devices/dev0/abs", "/secret");
        tl_symlink(root, "sys/devices/dev0/up", "../../../../../../../secret");
        tl_symlink(root, "sys/devices/dev0/driver", "../../bus/pci/drivers/amdgpu");
        tl_mkdir(root, "sys/devices/dev0/power");
        tl_symlink(root, "sys/bus/pci/devices/dev0", "../../../devices/dev0");
        ck_assert_int_ge(asprintf(&path, "%s/sys/devices/dev0/fifo", root), 0);
        ck_assert_int_eq(mkfifo(path, 0644), 0);
        free(path);
        sr = tl_sysroot(root);
        ck_assert_int_eq(sysroot_dir_open(sr, "sys/bus/pci/devices/nothing", &dir), -ENOENT);
        ck_assert_int_eq(sysroot_dir_open(sr, "sys/devices/dev0/vendor", &dir), -ENOTDIR);
        ck_assert_int_eq(sysroot_dir_open(sr, "sys/bus/pci/devices/dev0", &dir), 0);

        ck_assert_int_eq(sysroot_dir_read_uint(&dir, "vendor", &v), 0);
        ck_assert_uint_eq(v, 0x1002);
        /* At most the buffer less its terminator. */
        ck_assert_int_eq(sysroot_dir_read(&dir, "long", buf, sizeof(buf), &len), 0);
        ck_assert_str_eq(buf, "0123456");
        ck_assert_uint_eq(len, 7);
        ck_assert_int_eq(sysroot_dir_read(&dir, "abs", buf, sizeof(buf), NULL), 0);
        ck_assert_str_eq(buf, "inside\n");
        ck_assert_int_eq(sysroot_dir_read(&dir, "up", buf, sizeof(buf), NULL), 0);
        ck_assert_str_eq(buf, "inside\n");
        ck_assert_int_eq(sysroot_dir_read(&dir, "fifo", buf, sizeof(buf), NULL), -VS_E_NOT_REGULAR);
        ck_assert_int_eq(sysroot_dir_read(&dir, "power", buf, sizeof(buf), NULL), -EISDIR);
        ck_assert_int_eq(sysroot_dir_read(&dir, "absent", buf, sizeof(buf), NULL), -ENOENT);
        /* One name below the directory, never a path. */
        ck_assert_int_eq(sysroot_dir_read(&dir, "..", buf, sizeof(buf), NULL), -EINVAL);
        ck_assert_int_eq(sysroot_dir_read(&dir, "../secret", buf, sizeof(buf), NULL), -EINVAL);
        ck_assert_int_eq(sysroot_dir_read(&dir, "", buf, sizeof(buf), NULL), -EINVAL);
        ck_assert_int_eq(sysroot_dir_readlink_base(&dir, "driver", &base), 0);
        ck_assert_str_eq(base, "amdgpu");
        free(base);
        ck_assert_int_eq(sysroot_dir_readlink_base(&dir, "vendor", &base), -EINVAL);
        ck_assert_int_eq(sysroot_dir_readlink_base(&dir, "../dev0", &base), -EINVAL);
        sysroot_dir_close(&dir);
        sysroot_free(sr);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("sysroot");
        TCase *tc = tcase_create("sysroot");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, new_refuses_missing_and_files);
        tcase_add_test(tc, absolute_links_stay_inside);
        tcase_add_test(tc, reads_and_numbers);
        tcase_add_test(tc, big_files_read_whole);
        tcase_add_test(tc, links_lists_and_stat);
        tcase_add_test(tc, records_accesses);
        tcase_add_test(tc, reads_refuse_what_is_not_a_file);
        tcase_add_test(tc, whole_reads_are_capped);
        tcase_add_test(tc, renames_cannot_lead_out);
        tcase_add_test(tc, renames_cannot_lead_the_walk_out);
        tcase_add_test(tc, directory_entries_read_by_name);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
