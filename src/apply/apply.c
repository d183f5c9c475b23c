/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio-setup/apply.h"
#include "vfio-setup/atomic.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/sha256.h"

static void progress(const struct apply_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const struct apply_options *o, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (!o->progress)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) >= 0) {
                o->progress(o->userdata, s);
                free(s);
        }
        va_end(ap);
}

/* The SHA-256 of a file below the root, "" when it does not exist. */
static int current_hash(const struct sysroot *sr, const char *path, char out[65])
{
        char *data;
        size_t len;
        int r = sysroot_read(sr, path, 0, &data, &len);

        if (r == -ENOENT) {
                out[0] = '\0';
                return 0;
        }
        if (r < 0)
                return r;
        sha256_hex(data, len, out);
        free(data);
        return 0;
}

/* The plan was made from these contents: anything else means someone changed the file since. */
static int check_fresh(const struct sysroot *sr, const struct plan *p, struct apply_result *res)
{
        for (size_t i = 0; i < p->n_files; i++) {
                const struct plan_file *f = &p->files[i];
                char now[65], then[65] = "";
                int r = current_hash(sr, f->path, now);

                if (r < 0)
                        return r;
                if (f->action != PLAN_CREATE)
                        sha256_hex(f->old_content, f->old_len, then);
                if (strcmp(now, then) != 0)
                        return asprintf(&res->failed, "/%s changed since the plan was made; plan again", f->path) < 0
                                       ? -ENOMEM
                                       : -VS_E_STALE;
        }
        return 0;
}

/* Fault injection for the crash tests: VFIO_SETUP_CRASH_AFTER_WRITES=N dies by SIGKILL after N writes. */
static void maybe_crash(unsigned writes)
{
        const char *after = getenv("VFIO_SETUP_CRASH_AFTER_WRITES");

        if (after && *after && strtoul(after, NULL, 10) == writes)
                raise(SIGKILL);
}

static int restore_entry(const struct sysroot *sr, const struct journal *j, size_t i)
{
        const struct journal_entry *e = &j->entries[i];
        char *data;
        size_t len;
        int r;

        if (e->action == PLAN_CREATE) {
                r = atomic_remove(sr, e->path);
                return r == -ENOENT ? 0 : r;
        }
        r = journal_backup(sr, j, i, &data, &len);
        if (r < 0)
                return r;
        r = atomic_write(sr, e->path, data, len, e->mode, e->uid, e->gid, NULL);
        free(data);
        return r;
}

/*
 * Puts files back from the journal, newest last-written first.  With `check`
 * a file is only touched while it holds what apply wrote (or already what it
 * held before); otherwise it is left and named.
 */
static int restore(const struct sysroot *sr, const struct journal *j, bool check, const struct apply_options *o,
                   struct apply_result *res)
{
        int r = 0;

        for (size_t k = j->n; k-- > 0;) {
                const struct journal_entry *e = &j->entries[k];
                char now[65];
                int q = current_hash(sr, e->path, now);

                if (q >= 0 && strcmp(now, e->before) == 0)
                        continue;
                if (q >= 0 && check && strcmp(now, e->after) != 0) {
                        q = strv_pushf(&res->left, "/%s", e->path);
                        r = r < 0 ? r : q < 0 ? q : 1;
                        continue;
                }
                progress(o, "restoring /%s", e->path);
                if (q >= 0)
                        q = restore_entry(sr, j, k);
                if (q >= 0)
                        q = strv_pushf(&res->rolled_back, "/%s", e->path);
                else if (strv_pushf(&res->left, "/%s", e->path) < 0)
                        q = -ENOMEM;
                if (q < 0 && r >= 0)
                        r = q;
        }
        for (size_t k = j->dirs.n; k-- > 0;)
                remove_empty_dir(sr, j->dirs.v[k]);
        return r;
}

/* Runs the journal's commands in order; *ret_ran counts those that succeeded. */
static int run_commands(const struct journal *j, const struct apply_options *o, size_t *ret_ran, char **ret_failed)
{
        *ret_ran = 0;
        for (size_t i = 0; i < j->n_commands; i++) {
                char *line = strv_join(&j->commands[i], " ");
                int status = 0, r, q = 0;

                if (!line)
                        return -ENOMEM;
                progress(o, "running %s (%zu/%zu)", line, i + 1, j->n_commands);
                r = run_command(&j->commands[i], &o->run, &status);
                if (r < 0 && ret_failed) {
                        if (r == -ENOENT)
                                q = asprintf(ret_failed, "%s: command not found", j->commands[i].v[0]);
                        else if (r == -ETIMEDOUT)
                                q = asprintf(ret_failed, "%s: still running after %u seconds, killed", line, o->run.timeout);
                        else if (r == -VS_E_COMMAND)
                                q = asprintf(ret_failed, "%s: exit status %d", line, status);
                        else
                                q = asprintf(ret_failed, "%s: %s", line, vs_strerror(r));
                }
                free(line);
                if (q < 0)
                        return -ENOMEM;
                if (r < 0)
                        return r == -ENOMEM ? r : -VS_E_COMMAND;
                (*ret_ran)++;
        }
        return 0;
}

static int roll_back(const struct sysroot *sr, struct journal *j, size_t commands_ran, const struct apply_options *o,
                     struct apply_result *res)
{
        int r = restore(sr, j, false, o, res);
        size_t ran;

        /* Boot files made from the new configuration are made again from the old one. */
        if (r >= 0 && commands_ran) {
                size_t all = j->n_commands;

                j->n_commands = commands_ran;
                run_commands(j, o, &ran, NULL);
                j->n_commands = all;
        }
        if (r >= 0)
                r = journal_set_state(sr, j, JOURNAL_ROLLED_BACK);
        return r;
}

int apply_plan(const struct sysroot *sr, const struct plan *p, const struct apply_options *o, struct apply_result *ret)
{
        struct apply_result res = { 0 };
        struct journal *j = NULL;
        unsigned writes = 0;
        size_t ran = 0;
        int r;

        r = journal_open_last(sr, &j);
        if (r >= 0 && j->state == JOURNAL_BEGUN) {
                r = asprintf(&res.failed, "apply %04u did not finish; run vfio-setup undo to put its files back first",
                             j->seq) < 0 ? -ENOMEM : -VS_E_UNFINISHED;
                goto out;
        }
        journal_free(j);
        j = NULL;
        if (r < 0 && r != -ENOENT)
                goto out;
        r = check_fresh(sr, p, &res);
        if (r >= 0)
                r = journal_begin(sr, p, &j);
        if (r < 0)
                goto out;

        for (size_t i = 0; i < p->n_files && r >= 0; i++) {
                const struct plan_file *f = &p->files[i];
                const struct journal_entry *e = &j->entries[i];

                progress(o, "%s /%s", f->action == PLAN_DELETE ? "removing" : "writing", f->path);
                if (f->action == PLAN_DELETE)
                        r = atomic_remove(sr, f->path);
                else
                        r = atomic_write(sr, f->path, f->new_content, f->new_len, e->mode, e->uid, e->gid, NULL);
                if (r < 0 && asprintf(&res.failed, "/%s: %s", f->path, vs_strerror(r)) < 0)
                        r = -ENOMEM;
                maybe_crash(++writes);
        }
        for (size_t i = 0; i < p->remove_dirs.n && r >= 0; i++)
                r = remove_empty_dir(sr, p->remove_dirs.v[i]);
        if (r >= 0 && o->regenerate)
                r = run_commands(j, o, &ran, &res.failed);
        if (r < 0) {
                int q = roll_back(sr, j, ran, o, &res);

                if (q < 0 && q != -ENOMEM)
                        r = q;
                goto out;
        }
        r = journal_set_state(sr, j, JOURNAL_COMPLETE);
out:
        journal_free(j);
        *ret = res;
        return r;
}

int undo_last(const struct sysroot *sr, const struct apply_options *o, struct apply_result *ret, unsigned *ret_seq)
{
        struct apply_result res = { 0 };
        struct journal *j;
        size_t ran;
        int r, q;

        r = journal_open_last(sr, &j);
        if (r < 0) {
                *ret = res;
                return r;
        }
        *ret_seq = j->seq;
        /* An apply cut short may have written some files and not others: there is nothing to check against. */
        r = restore(sr, j, j->state == JOURNAL_COMPLETE, o, &res);
        if (r >= 0 && o->regenerate && (q = run_commands(j, o, &ran, &res.failed)) < 0)
                r = q;
        if (r == 0)
                r = journal_set_state(sr, j, j->state == JOURNAL_COMPLETE ? JOURNAL_UNDONE : JOURNAL_ROLLED_BACK);
        else if (r == 1)
                r = -VS_E_STALE;
        journal_free(j);
        *ret = res;
        return r;
}

void apply_result_free(struct apply_result *r)
{
        free(r->failed);
        strv_free(&r->rolled_back);
        strv_free(&r->left);
}
