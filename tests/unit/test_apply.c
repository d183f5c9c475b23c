/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command runner, atomic writes, the journal, apply and undo on plans made by hand. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "vfio-setup/apply.h"
#include "vfio-setup/atomic.h"
#include "vfio-setup/errors.h"

static struct strv seen;

static void collect(void *userdata, const char *line)
{
        (void)userdata;
        ck_assert_int_eq(strv_push(&seen, line), 0);
}

static int sh(const char *script, unsigned timeout, int *status)
{
        struct strv argv = { 0 };
        struct run_options o = { .root = "/", .timeout = timeout, .line = collect };
        int r;

        strv_push(&argv, "sh");
        strv_push(&argv, "-c");
        strv_push(&argv, script);
        r = run_command(&argv, &o, status);
        strv_free(&argv);
        return r;
}

START_TEST(runner_streams_and_reports)
{
        int status = 0;
        struct timespec a, b;

        strv_free(&seen);
        ck_assert_int_eq(sh("echo one; echo two >&2; printf three", 0, &status), 0);
        ck_assert_uint_eq(seen.n, 3);
        ck_assert_str_eq(seen.v[0], "one");
        ck_assert_str_eq(seen.v[1], "two");
        ck_assert_str_eq(seen.v[2], "three");
        ck_assert_int_eq(sh("exit 3", 0, &status), -VS_E_COMMAND);
        ck_assert_int_eq(status, 3);
        ck_assert_int_eq(sh("kill -TERM $$", 0, &status), -VS_E_COMMAND);
        ck_assert_int_eq(status, 128 + 15);
        clock_gettime(CLOCK_MONOTONIC, &a);
        ck_assert_int_eq(sh("sleep 30", 1, &status), -ETIMEDOUT);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ck_assert_int_lt(b.tv_sec - a.tv_sec, 5);
        strv_free(&seen);
        ck_assert_int_eq(sh("head -c 10000 /dev/zero | tr '\\\\0' x", 0, &status), 0);
        ck_assert_uint_eq(seen.n, 3);
        strv_free(&seen);
}
END_TEST

START_TEST(runner_missing_command)
{
        struct strv argv = { 0 };
        struct run_options o = { .root = "/", .command_dir = "/nonexistent" };
        int status;

        strv_push(&argv, "update-grub");
        ck_assert_int_eq(run_command(&argv, &o, &status), -ENOENT);
        o.command_dir = NULL;
        strv_free(&argv);
        strv_push(&argv, "vfio-setup-no-such-command");
        ck_assert_int_eq(run_command(&argv, &o, &status), -ENOENT);
        strv_free(&argv);
}
END_TEST

START_TEST(atomic_writes)
{
        char *root = tl_root_new(), path[512];
        struct sysroot *sr;
        struct strv dirs = { 0 }, names = { 0 };
        struct stat st;
        char *content;

        tl_write(root, "real", "old");
        tl_symlink(root, "link", "real");
        sr = tl_sysroot(root);
        ck_assert_int_eq(atomic_write(sr, "etc/new/deep/file", "x\n", 2, 0640, getuid(), getgid(), &dirs), 0);
        ck_assert_uint_eq(dirs.n, 3);
        ck_assert_str_eq(dirs.v[0], "etc");
        ck_assert_str_eq(dirs.v[2], "etc/new/deep");
        snprintf(path, sizeof(path), "%s/etc/new/deep/file", root);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0640);
        ck_assert_int_eq(atomic_write(sr, "link", "new", 3, 0644, getuid(), getgid(), NULL), -ELOOP);
        ck_assert_int_eq(sysroot_read(sr, "real", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "old");
        free(content);
        ck_assert_int_eq(sysroot_list(sr, "etc/new/deep", &names), 0);
        ck_assert_uint_eq(names.n, 1);
        strv_free(&names);
        ck_assert_int_eq(atomic_remove(sr, "etc/new/deep/file"), 0);
        ck_assert_int_eq(remove_empty_dir(sr, "etc/new/deep"), 0);
        ck_assert(!sysroot_exists(sr, "etc/new/deep"));
        ck_assert_int_eq(remove_empty_dir(sr, "etc"), 0);
        ck_assert(sysroot_exists(sr, "etc"));
        strv_free(&dirs);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

static void add_file(struct plan *p, const char *path, enum plan_action action, const char *old, const char *new)
{
        p->files = realloc(p->files, (p->n_files + 1) * sizeof(*p->files));
        p->files[p->n_files++] = (struct plan_file){
                .path = strdup(path), .action = action, .old_content = old ? strdup(old) : NULL,
                .old_len = old ? strlen(old) : 0, .new_content = new ? strdup(new) : NULL, .new_len = new ? strlen(new) : 0,
        };
}

static struct plan *hand_plan(void)
{
        struct plan *p = calloc(1, sizeof(*p));

        add_file(p, "etc/a.conf", PLAN_MODIFY, "A=1\n", "A=2\n");
        add_file(p, "etc/gone.conf", PLAN_DELETE, "bye\n", NULL);
        add_file(p, "etc/new.d/mine.conf", PLAN_CREATE, NULL, "mine\n");
        p->commands = calloc(1, sizeof(*p->commands));
        strv_push(&p->commands[0], "true");
        strv_push(&p->commands[0], "with\ttab");
        p->n_commands = 1;
        return p;
}

START_TEST(apply_journal_undo)
{
        char *root = tl_root_new(), path[512], *content;
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct apply_result res;
        struct journal *j;
        struct sysroot *sr;
        struct plan *p = hand_plan();
        struct stat st;
        unsigned seq;

        tl_write(root, "etc/a.conf", "A=1\n");
        tl_write(root, "etc/gone.conf", "bye\n");
        snprintf(path, sizeof(path), "%s/etc/a.conf", root);
        chmod(path, 0600);
        sr = tl_sysroot(root);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), 0);
        apply_result_free(&res);
        ck_assert_int_eq(sysroot_read(sr, "etc/a.conf", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "A=2\n");
        free(content);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0600);
        ck_assert(!sysroot_exists(sr, "etc/gone.conf"));
        ck_assert(sysroot_exists(sr, "etc/new.d/mine.conf"));

        ck_assert_int_eq(journal_open_last(sr, &j), 0);
        ck_assert_int_eq(j->state, JOURNAL_COMPLETE);
        ck_assert_uint_eq(j->n, 3);
        ck_assert_str_eq(j->entries[2].path, "etc/new.d/mine.conf");
        ck_assert_str_eq(j->entries[1].after, "");
        ck_assert_uint_eq(j->dirs.n, 1);
        ck_assert_uint_eq(j->n_commands, 1);
        ck_assert_str_eq(j->commands[0].v[1], "with\ttab");
        journal_free(j);

        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), 0);
        ck_assert_uint_eq(seq, 1);
        ck_assert_uint_eq(res.rolled_back.n, 3);
        apply_result_free(&res);
        ck_assert_int_eq(sysroot_read(sr, "etc/a.conf", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "A=1\n");
        free(content);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0600);
        ck_assert_int_eq(sysroot_read(sr, "etc/gone.conf", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "bye\n");
        free(content);
        ck_assert(!sysroot_exists(sr, "etc/new.d"));
        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), -ENOENT);
        apply_result_free(&res);
        plan_free(p);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

START_TEST(apply_refuses_a_stale_plan)
{
        char *root = tl_root_new(), *content;
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct apply_result res;
        struct sysroot *sr;
        struct plan *p = hand_plan();

        tl_write(root, "etc/a.conf", "A=changed\n");
        tl_write(root, "etc/gone.conf", "bye\n");
        sr = tl_sysroot(root);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), -VS_E_STALE);
        ck_assert_ptr_nonnull(strstr(res.failed, "/etc/a.conf changed since the plan was made"));
        apply_result_free(&res);
        ck_assert_int_eq(sysroot_read(sr, "etc/a.conf", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "A=changed\n");
        free(content);
        ck_assert(!sysroot_exists(sr, JOURNAL_DIR));
        plan_free(p);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

START_TEST(failed_command_rolls_back)
{
        char *root = tl_root_new(), *content;
        struct apply_options o = { .regenerate = true, .run = { .root = "/" } };
        struct apply_result res;
        struct sysroot *sr;
        struct plan *p = hand_plan();
        struct journal *j;

        free(p->commands[0].v[0]);
        p->commands[0].v[0] = strdup("false");
        tl_write(root, "etc/a.conf", "A=1\n");
        tl_write(root, "etc/gone.conf", "bye\n");
        sr = tl_sysroot(root);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), -VS_E_COMMAND);
        ck_assert_ptr_nonnull(strstr(res.failed, "false with\ttab: exit status 1"));
        ck_assert_uint_eq(res.left.n, 0);
        apply_result_free(&res);
        ck_assert_int_eq(sysroot_read(sr, "etc/a.conf", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "A=1\n");
        free(content);
        ck_assert(sysroot_exists(sr, "etc/gone.conf"));
        ck_assert(!sysroot_exists(sr, "etc/new.d"));
        /* Rolled back: nothing is left to undo. */
        ck_assert_int_eq(journal_open_last(sr, &j), -ENOENT);
        plan_free(p);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("apply");
        TCase *tc = tcase_create("apply");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, runner_streams_and_reports);
        tcase_add_test(tc, runner_missing_command);
        tcase_add_test(tc, atomic_writes);
        tcase_add_test(tc, apply_journal_undo);
        tcase_add_test(tc, apply_refuses_a_stale_plan);
        tcase_add_test(tc, failed_command_rolls_back);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
