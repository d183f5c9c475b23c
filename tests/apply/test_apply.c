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
#include "vfio-setup/sha256.h"

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
        p->undo_commands = calloc(1, sizeof(*p->undo_commands));
        strv_push(&p->commands[0], "update-grub");
        p->n_commands = 1;
        return p;
}

/*
 * Stand-ins for the commands plans run, in root/commands: each appends its name and
 * arguments to root/log, and fails when they end in "fail" or root/fail exists.
 */
static const char *stand_ins(const char *root)
{
        static const char *const names[] = { "update-grub", "mkinitcpio", "rpm-ostree" };
        static char dir[512];

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char rel[64], *script, path[512];

                snprintf(rel, sizeof(rel), "commands/%s", names[i]);
                ck_assert_int_ge(asprintf(&script, "#!/bin/sh\necho \"%s $*\" >> '%s/log'\n"
                                          "case \"$*\" in *fail) exit 1;; esac\n[ ! -e '%s/fail' ]\n", names[i], root, root), 0);
                tl_write(root, rel, script);
                free(script);
                snprintf(path, sizeof(path), "%s/%s", root, rel);
                ck_assert_int_eq(chmod(path, 0755), 0);
        }
        snprintf(dir, sizeof(dir), "%s/commands", root);
        return dir;
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

        ck_assert_int_eq(journal_open_last(sr, &j, NULL), 0);
        ck_assert_int_eq(j->state, JOURNAL_COMPLETE);
        ck_assert_uint_eq(j->n, 3);
        ck_assert_str_eq(j->entries[2].path, "etc/new.d/mine.conf");
        ck_assert_str_eq(j->entries[1].after, "");
        ck_assert_uint_eq(j->dirs.n, 1);
        ck_assert_uint_eq(j->n_commands, 1);
        ck_assert_str_eq(j->commands[0].v[0], "update-grub");
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

/* A plan can name only what undo would run again: anything else, and nothing is written. */
START_TEST(apply_runs_only_known_commands)
{
        char *root = tl_root_new(), *content;
        struct apply_options o = { .regenerate = true, .run = { .root = "/", .command_dir = stand_ins(root) } };
        struct apply_result res;
        struct sysroot *sr;
        struct plan *p = hand_plan();

        strv_free(&p->commands[0]);
        strv_push(&p->commands[0], "sh");
        strv_push(&p->commands[0], "-c");
        strv_push(&p->commands[0], "id");
        tl_write(root, "etc/a.conf", "A=1\n");
        tl_write(root, "etc/gone.conf", "bye\n");
        sr = tl_sysroot(root);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), -EINVAL);
        apply_result_free(&res);
        ck_assert_int_eq(sysroot_read(sr, "etc/a.conf", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "A=1\n");
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

        o.run.command_dir = stand_ins(root);
        tl_write(root, "fail", "");
        tl_write(root, "etc/a.conf", "A=1\n");
        tl_write(root, "etc/gone.conf", "bye\n");
        sr = tl_sysroot(root);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), -VS_E_COMMAND);
        ck_assert_ptr_nonnull(strstr(res.failed, "update-grub: exit status 1"));
        ck_assert_uint_eq(res.left.n, 0);
        apply_result_free(&res);
        ck_assert_int_eq(sysroot_read(sr, "etc/a.conf", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "A=1\n");
        free(content);
        ck_assert(sysroot_exists(sr, "etc/gone.conf"));
        ck_assert(!sysroot_exists(sr, "etc/new.d"));
        /* Rolled back: nothing is left to undo. */
        ck_assert_int_eq(journal_open_last(sr, &j, NULL), -ENOENT);
        plan_free(p);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

static char *journal_text_of(const char *root, const char *rel)
{
        struct sysroot *sr = tl_sysroot(root);
        char *text;

        ck_assert_int_eq(sysroot_read(sr, rel, 0, &text, NULL), 0);
        sysroot_free(sr);
        return text;
}

/* Writes a journal as someone with the right to would: with the checksum made again. */
static void forge_at(const char *root, const char *rel, const char *body)
{
        char sum[65], *text;

        sha256_hex(body, strlen(body), sum);
        ck_assert_int_ge(asprintf(&text, "%ssum\t%s\n", body, sum), 0);
        tl_write(root, rel, text);
        free(text);
}

/* A seeded new file: undo leaves it holding the seed; a rollback in the same boot removes it. */
START_TEST(seeded_file_undo_and_rollback)
{
        char *root = tl_root_new(), *content, *text, *at, path[512];
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct apply_result res;
        struct sysroot *sr;
        struct plan *p = calloc(1, sizeof(*p));
        struct journal *j;
        unsigned seq;

        add_file(p, "etc/kernel/cmdline", PLAN_CREATE, NULL, "root=/dev/vda ro quiet intel_iommu=on\n");
        p->files[0].seed = strdup("root=/dev/vda ro quiet\n");
        p->files[0].seed_len = strlen(p->files[0].seed);
        sr = tl_sysroot(root);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), 0);
        apply_result_free(&res);
        ck_assert_int_eq(journal_open_last(sr, &j, NULL), 0);
        ck_assert(j->entries[0].seeded);
        journal_free(j);
        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), 0);
        ck_assert(res.checked);
        ck_assert_ptr_nonnull(res.note);
        ck_assert_ptr_nonnull(strstr(res.note, "/etc/kernel/cmdline, which apply made, stays"));
        apply_result_free(&res);
        ck_assert_int_eq(sysroot_read(sr, "etc/kernel/cmdline", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "root=/dev/vda ro quiet\n");
        free(content);

        /* Rolled back in the boot it was made in, the file goes. */
        snprintf(path, sizeof(path), "%s/etc/kernel/cmdline", root);
        ck_assert_int_eq(unlink(path), 0);
        p->commands = calloc(1, sizeof(*p->commands));
        p->undo_commands = calloc(1, sizeof(*p->undo_commands));
        strv_push(&p->commands[0], "update-grub");
        p->n_commands = 1;
        o.regenerate = true;
        o.run.command_dir = stand_ins(root);
        tl_write(root, "fail", "");
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), -VS_E_COMMAND);
        ck_assert(res.checked);
        apply_result_free(&res);
        ck_assert(!sysroot_exists(sr, "etc/kernel/cmdline"));

        /* A format 2 journal has no seeded records: one that says it has is refused. */
        o.regenerate = false;
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), 0);
        apply_result_free(&res);
        text = journal_text_of(root, JOURNAL_DIR "/0003/journal");
        *strstr(text, "sum\t") = '\0';
        at = strstr(text, "format\t4");
        at[strlen("format\t")] = '2';
        forge_at(root, JOURNAL_DIR "/0003/journal", text);
        free(text);
        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), -VS_E_JOURNAL);
        ck_assert_ptr_nonnull(strstr(res.failed, "journal:4: a record"));
        apply_result_free(&res);
        plan_free(p);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* rpm-ostree adding the kernel argument word, undone by removing it; without word, update-grub. */
static void add_command(struct plan *p, const char *word)
{
        p->commands = realloc(p->commands, (p->n_commands + 1) * sizeof(*p->commands));
        p->undo_commands = realloc(p->undo_commands, (p->n_commands + 1) * sizeof(*p->undo_commands));
        p->commands[p->n_commands] = p->undo_commands[p->n_commands] = (struct strv){ 0 };
        if (word) {
                strv_push(&p->commands[p->n_commands], "rpm-ostree");
                strv_push(&p->commands[p->n_commands], "kargs");
                strv_pushf(&p->commands[p->n_commands], "--append-if-missing=%s", word);
                strv_push(&p->undo_commands[p->n_commands], "rpm-ostree");
                strv_push(&p->undo_commands[p->n_commands], "kargs");
                strv_pushf(&p->undo_commands[p->n_commands], "--delete-if-present=%s", word);
        } else {
                strv_push(&p->commands[p->n_commands], "update-grub");
        }
        p->n_commands++;
}

static char *read_log(const char *path)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "r");

        if (!f)
                return strdup("");
        ck_assert_int_ge(getdelim(&text, &len, '\0', f), 0);
        fclose(f);
        return text;
}

/*
 * Commands that change state outside the files (rpm-ostree kargs) are undone by
 * their inverses, newest first; those that regenerate from the files run again.
 */
START_TEST(state_commands_are_undone)
{
        char *root = tl_root_new(), log[512], *text;
        struct apply_options o = { .regenerate = true, .run = { .root = "/", .command_dir = stand_ins(root) } };
        struct apply_result res;
        struct undo_preview u;
        struct sysroot *sr;
        struct plan *p = calloc(1, sizeof(*p));
        unsigned seq;

        snprintf(log, sizeof(log), "%s/log", root);
        add_file(p, "etc/new.conf", PLAN_CREATE, NULL, "x\n");
        add_command(p, "kargs-a");
        add_command(p, NULL);
        add_command(p, "kargs-b");
        sr = tl_sysroot(root);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), 0);
        apply_result_free(&res);
        text = read_log(log);
        ck_assert_str_eq(text, "rpm-ostree kargs --append-if-missing=kargs-a\nupdate-grub \n"
                               "rpm-ostree kargs --append-if-missing=kargs-b\n");
        free(text);
        text = journal_text_of(root, JOURNAL_DIR "/0001/journal");
        ck_assert_ptr_nonnull(strstr(text, "\nundo\trpm-ostree\tkargs\t--delete-if-present=kargs-a\n"));
        free(text);
        ck_assert_int_eq(undo_pending(sr, &u, NULL), 0);
        ck_assert_uint_eq(u.commands.n, 3);
        ck_assert_ptr_nonnull(strstr(u.commands.v[0], "--delete-if-present=kargs-b"));
        undo_preview_free(&u);
        unlink(log);
        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), 0);
        apply_result_free(&res);
        text = read_log(log);
        ck_assert_str_eq(text, "rpm-ostree kargs --delete-if-present=kargs-b\n"
                               "rpm-ostree kargs --delete-if-present=kargs-a\nupdate-grub \n");
        free(text);
        plan_free(p);

        /* Cut short by a failing command: only what ran is undone. */
        p = calloc(1, sizeof(*p));
        add_file(p, "etc/new.conf", PLAN_CREATE, NULL, "x\n");
        add_command(p, "kargs-a");
        add_command(p, "fail");
        add_command(p, "kargs-b");
        unlink(log);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), -VS_E_COMMAND);
        apply_result_free(&res);
        text = read_log(log);
        ck_assert_str_eq(text, "rpm-ostree kargs --append-if-missing=kargs-a\n"
                               "rpm-ostree kargs --append-if-missing=fail\n"
                               "rpm-ostree kargs --delete-if-present=kargs-a\n");
        free(text);
        plan_free(p);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* Applies the hand plan on a fresh root; the journal is JOURNAL_DIR/0001. */
static struct sysroot *applied(char **ret_root)
{
        char *root = tl_root_new();
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct apply_result res;
        struct sysroot *sr;
        struct plan *p = hand_plan();

        tl_write(root, "etc/a.conf", "A=1\n");
        tl_write(root, "etc/gone.conf", "bye\n");
        sr = tl_sysroot(root);
        ck_assert_int_eq(apply_plan(sr, p, &o, &res), 0);
        apply_result_free(&res);
        plan_free(p);
        *ret_root = root;
        return sr;
}

static char *journal_text(const char *root)
{
        return journal_text_of(root, JOURNAL_DIR "/0001/journal");
}

static void forge(const char *root, const char *body)
{
        forge_at(root, JOURNAL_DIR "/0001/journal", body);
}

/* The journal without its checksum line, with one substring replaced. */
static char *body_with(const char *root, const char *from, const char *to)
{
        char *text = journal_text(root), *sum = strstr(text, "sum\t"), *at, *out;

        *sum = '\0';
        at = strstr(text, from);
        ck_assert_ptr_nonnull(at);
        ck_assert_int_ge(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)), 0);
        free(text);
        return out;
}

static void undo_refused(struct sysroot *sr, int err, const char *why)
{
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct apply_result res;
        unsigned seq = 0;
        char *content;

        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), err);
        ck_assert_msg(res.failed && strstr(res.failed, why), "%s", res.failed ? res.failed : "(nothing said)");
        apply_result_free(&res);
        /* Nothing was written: the files hold what apply made of them. */
        ck_assert_int_eq(sysroot_read(sr, "etc/a.conf", 0, &content, NULL), 0);
        ck_assert_str_eq(content, "A=2\n");
        free(content);
        ck_assert(!sysroot_exists(sr, "etc/gone.conf"));
        ck_assert(sysroot_exists(sr, "etc/new.d/mine.conf"));
}

/* A copy that is not what the file held (cut short, or replaced) refuses the whole undo. */
START_TEST(undo_checks_every_copy)
{
        char *root;
        struct sysroot *sr = applied(&root);

        tl_write(root, JOURNAL_DIR "/0001/files/0", "");
        undo_refused(sr, -VS_E_JOURNAL, "files/0, the copy of /etc/a.conf, is not what the file held");
        tl_write(root, JOURNAL_DIR "/0001/files/0", "A=1\n");
        tl_write(root, JOURNAL_DIR "/0001/files/1", "A=1\n");
        undo_refused(sr, -VS_E_JOURNAL, "the copy of /etc/gone.conf, is not what the file held");
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* Each record names its copy, and one damaged record refuses all, named by its line. */
START_TEST(undo_refuses_a_damaged_journal)
{
        static const struct {
                const char *from, *to, *why;
        } damage[] = {
                { "file\tmodify", "file\tmodfy", "journal:4: a record vfio-setup cannot read" },
                { "\tfiles/0\t", "\tfiles/../../etc/shadow\t", "journal:4: a record" },
                { "\tetc/a.conf", "\t../a.conf", "journal:4: a record" },
                { "\tetc/a.conf", "\t/etc/a.conf", "journal:4: a record" },
                { "state\tcomplete", "state\tcomplete\nstate\tundone", "journal:4: a record" },
                { "dir\t", "mystery\t", "a record vfio-setup cannot read" },
                { "format\t4", "format\t5", "is of format 5, written by a newer vfio-setup" },
                { "format\t4", "format\tx", "journal:2: no format line" },
                { "command\t", "undo\tupdate-grub\ncommand\t", "a record vfio-setup cannot read" },
                { "command\tupdate-grub\n", "command\tupdate-grub\nundo\tupdate-grub\nundo\tupdate-grub\n",
                  "a record vfio-setup cannot read" },
                /* Only what a plan runs, in the shapes it runs it. */
                { "command\tupdate-grub\n", "command\tsh\t-c\tid\n", "a record vfio-setup cannot read" },
                { "command\tupdate-grub\n", "command\tupdate-grub\t--now\n", "a record vfio-setup cannot read" },
                { "command\tupdate-grub\n", "command\tgrub-mkconfig\t-o\t/tmp/grub.cfg\n", "a record" },
                { "command\tupdate-grub\n", "command\tkernel-install\tadd\t6.1\t/boot/../x\n", "a record" },
                { "command\tupdate-grub\n", "command\tupdate-grub\nundo\tbash\n", "a record" },
        };
        char *root;
        struct sysroot *sr = applied(&root);
        char *good = journal_text(root);

        for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
                char *body = body_with(root, damage[i].from, damage[i].to);

                forge(root, body);
                undo_refused(sr, strstr(damage[i].why, "newer") ? -VS_E_JOURNAL_NEWER : -VS_E_JOURNAL, damage[i].why);
                free(body);
                tl_write(root, JOURNAL_DIR "/0001/journal", good);
        }
        /* Changed without the checksum made again, or cut short. */
        {
                char *body = body_with(root, "\t644\t", "\t4755\t"), *text;

                ck_assert_int_ge(asprintf(&text, "%ssum\t%.64s\n", body, strstr(good, "sum\t") + 4), 0);
                tl_write(root, JOURNAL_DIR "/0001/journal", text);
                undo_refused(sr, -VS_E_JOURNAL, "the checksum does not match");
                free(text);
                free(body);
                text = strndup(good, strlen(good) / 2);
                tl_write(root, JOURNAL_DIR "/0001/journal", text);
                undo_refused(sr, -VS_E_JOURNAL, "");
                *strstr(good, "sum\t") = '\0';
                tl_write(root, JOURNAL_DIR "/0001/journal", good);
                undo_refused(sr, -VS_E_JOURNAL, "no checksum");
                free(text);
        }
        free(good);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* Even a journal written with every right gives a configuration file no set-id bits. */
START_TEST(undo_restores_no_set_id_bits)
{
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct apply_result res;
        char *root, path[512];
        struct sysroot *sr = applied(&root);
        struct stat st;
        unsigned seq;
        char *body = body_with(root, "\t644\t", "\t6755\t");

        forge(root, body);
        free(body);
        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), 0);
        ck_assert(res.checked);
        apply_result_free(&res);
        snprintf(path, sizeof(path), "%s/etc/a.conf", root);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0755);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* Only a journal of the user running vfio-setup, writable by nobody else, is trusted. */
START_TEST(undo_refuses_a_journal_others_wrote)
{
        char *root, path[512];
        struct sysroot *sr = applied(&root);

        snprintf(path, sizeof(path), "%s/" JOURNAL_DIR "/0001", root);
        ck_assert_int_eq(chmod(path, 0777), 0);
        undo_refused(sr, -VS_E_UNTRUSTED_JOURNAL, "is writable by others");
        ck_assert_int_eq(chmod(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/" JOURNAL_DIR "/0001/files/0", root);
        ck_assert_int_eq(chmod(path, 0666), 0);
        undo_refused(sr, -VS_E_UNTRUSTED_JOURNAL, "files/0 is writable by others");
        ck_assert_int_eq(chmod(path, 0600), 0);
        /* Every directory above it too: whoever may rename var/lib/vfio-setup could have put another there. */
        snprintf(path, sizeof(path), "%s/var/lib", root);
        ck_assert_int_eq(chmod(path, 0775), 0);
        undo_refused(sr, -VS_E_UNTRUSTED_JOURNAL, "/var/lib is writable by others");
        ck_assert_int_eq(chmod(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/var", root);
        ck_assert_int_eq(chmod(path, 0757), 0);
        undo_refused(sr, -VS_E_UNTRUSTED_JOURNAL, "/var is writable by others");
        ck_assert_int_eq(chmod(path, 0755), 0);
        if (geteuid() == 0) {
                snprintf(path, sizeof(path), "%s/" JOURNAL_DIR, root);
                ck_assert_int_eq(chown(path, 65534, 65534), 0);
                undo_refused(sr, -VS_E_UNTRUSTED_JOURNAL, "journal is owned by another user");
                ck_assert_int_eq(chown(path, 0, 0), 0);
                snprintf(path, sizeof(path), "%s/var/lib", root);
                ck_assert_int_eq(chown(path, 65534, 0), 0);
                undo_refused(sr, -VS_E_UNTRUSTED_JOURNAL, "/var/lib is owned by another user");
                ck_assert_int_eq(chown(path, 0, 0), 0);
        }
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* No link on the way to the journal, even one inside the root. */
START_TEST(undo_follows_no_link_to_the_journal)
{
        char *root, from[512], to[512];
        struct sysroot *sr = applied(&root);

        snprintf(from, sizeof(from), "%s/var/lib/vfio-setup", root);
        snprintf(to, sizeof(to), "%s/var/lib/elsewhere", root);
        ck_assert_int_eq(rename(from, to), 0);
        ck_assert_int_eq(symlink("elsewhere", from), 0);
        undo_refused(sr, -VS_E_UNTRUSTED_JOURNAL, "/var/lib/vfio-setup is a link");
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* var/lib may lead elsewhere, as on systems that keep their state apart: the directories it leads through count. */
START_TEST(journal_below_a_linked_var_lib)
{
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct apply_result res;
        char *root, from[512], to[512];
        struct sysroot *sr = applied(&root);
        unsigned seq;

        snprintf(from, sizeof(from), "%s/var/lib", root);
        snprintf(to, sizeof(to), "%s/state", root);
        ck_assert_int_eq(rename(from, to), 0);
        ck_assert_int_eq(symlink("../state", from), 0);
        ck_assert_int_eq(chmod(to, 0777), 0);
        undo_refused(sr, -VS_E_UNTRUSTED_JOURNAL, "/state is writable by others");
        ck_assert_int_eq(chmod(to, 0755), 0);
        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), 0);
        ck_assert_uint_eq(seq, 1);
        apply_result_free(&res);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* What was checked is what is read: a journal directory swapped after it was opened is not looked at. */
START_TEST(journal_is_read_through_what_was_checked)
{
        char *root, from[512], to[512], *data, *reason = NULL;
        struct sysroot *sr = applied(&root);
        struct journal *j;
        size_t len;

        ck_assert_int_eq(journal_open_last(sr, &j, &reason), 0);
        snprintf(from, sizeof(from), "%s/var/lib/vfio-setup", root);
        snprintf(to, sizeof(to), "%s/var/lib/moved", root);
        ck_assert_int_eq(rename(from, to), 0);
        tl_write(root, JOURNAL_DIR "/0001/files/0", "A=forged\n");
        ck_assert_int_eq(journal_backup(j, 0, &data, &len, &reason), 0);
        ck_assert_str_eq(data, "A=1\n");
        free(data);
        journal_free(j);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/* What a run killed in journal_begin leaves hides no earlier apply, and goes. */
START_TEST(orphans_are_ignored_and_removed)
{
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct apply_result res;
        char *root;
        struct sysroot *sr = applied(&root);
        unsigned seq = 0;

        tl_write(root, JOURNAL_DIR "/0002/files/0", "half");
        tl_write(root, JOURNAL_DIR "/.0003.new/files/0", "half");
        tl_write(root, "etc/" ATOMIC_TEMP_PREFIX "0123456789abcdef", "half");
        ck_assert_int_eq(undo_last(sr, &o, &res, &seq), 0);
        ck_assert_uint_eq(seq, 1);
        ck_assert(res.checked);
        apply_result_free(&res);
        ck_assert(!sysroot_exists(sr, JOURNAL_DIR "/0002"));
        ck_assert(!sysroot_exists(sr, JOURNAL_DIR "/.0003.new"));
        ck_assert(!sysroot_exists(sr, "etc/" ATOMIC_TEMP_PREFIX "0123456789abcdef"));
        ck_assert(sysroot_exists(sr, "etc/gone.conf"));
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
        tcase_add_test(tc, apply_runs_only_known_commands);
        tcase_add_test(tc, failed_command_rolls_back);
        tcase_add_test(tc, state_commands_are_undone);
        tcase_add_test(tc, undo_checks_every_copy);
        tcase_add_test(tc, undo_refuses_a_damaged_journal);
        tcase_add_test(tc, seeded_file_undo_and_rollback);
        tcase_add_test(tc, undo_restores_no_set_id_bits);
        tcase_add_test(tc, undo_refuses_a_journal_others_wrote);
        tcase_add_test(tc, undo_follows_no_link_to_the_journal);
        tcase_add_test(tc, journal_is_read_through_what_was_checked);
        tcase_add_test(tc, journal_below_a_linked_var_lib);
        tcase_add_test(tc, orphans_are_ignored_and_removed);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
