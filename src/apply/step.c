/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "step.h"
#include "vfio-setup/atomic.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/handover.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/lock.h"
#include "vfio-setup/sha256.h"
#include "vfio-setup/trust.h"

/* How long a run waits for another to finish before it refuses. */
#define LOCK_WAIT_MS 3000

static void capture_text(struct capture *c, const char *text)
{
        size_t n = strlen(text);

        if (n > APPLY_OUTPUT_MAX) {
                c->dropped += n - APPLY_OUTPUT_MAX;
                text += n - APPLY_OUTPUT_MAX;
                n = APPLY_OUTPUT_MAX;
        }
        if (!c->buf && !(c->buf = malloc(APPLY_OUTPUT_MAX)))
                return;
        if (c->len + n > APPLY_OUTPUT_MAX) {
                size_t cut = c->len + n - APPLY_OUTPUT_MAX;

                memmove(c->buf, c->buf + cut, c->len - cut);
                c->len -= cut;
                c->dropped += cut;
        }
        memcpy(c->buf + c->len, text, n);
        c->len += n;
}

static void capture_line(void *userdata, const char *line)
{
        struct capture *c = userdata;

        capture_text(c, line);
        capture_text(c, "\n");
        if (c->caller->run.line)
                c->caller->run.line(c->caller->run.userdata, line);
}

void step_capture_init(struct capture *c, const struct apply_options *o)
{
        *c = (struct capture){ .o = *o, .caller = o };
        c->o.run.line = capture_line;
        c->o.run.userdata = c;
}

/* Keeps what was captured beside journal seq; a journal without it is still whole, so failing here is only noted. */
void step_capture_keep(struct capture *c, const struct sysroot *sr, unsigned seq, const char *name,
                       struct apply_result *res)
{
        char *head = NULL, *text = NULL;

        if (c->len && c->dropped && asprintf(&head, "[the first %zu bytes are not kept]\n", c->dropped) < 0)
                head = NULL;
        if (c->len && asprintf(&text, "%s%.*s", head ? head : "", (int)c->len, c->buf) >= 0) {
                free(res->output);
                res->output = NULL;
                if (journal_put_text(sr, seq, name, text, strlen(text), &res->output) < 0)
                        res->output = NULL;
        }
        free(head);
        free(text);
        free(c->buf);
        c->buf = NULL;
}

void step_shield_up(struct shield *s)
{
        struct sigaction ignore = { .sa_handler = SIG_IGN };
        sigset_t hup;

        sigemptyset(&hup);
        sigaddset(&hup, SIGHUP);
        sigprocmask(SIG_BLOCK, &hup, &s->old);
        sigaction(SIGPIPE, &ignore, &s->pipe);
}

void step_shield_down(const struct shield *s)
{
        sigaction(SIGPIPE, &s->pipe, NULL);
        sigprocmask(SIG_SETMASK, &s->old, NULL);
}

void step_progress(const struct apply_options *o, const char *fmt, ...)
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

int step_fail(struct apply_result *res, int err, const char *fmt, ...)
{
        va_list ap;
        int n;

        free(res->failed);
        va_start(ap, fmt);
        n = vasprintf(&res->failed, fmt, ap);
        va_end(ap);
        if (n < 0) {
                res->failed = NULL;
                return -ENOMEM;
        }
        return err;
}

/* The SHA-256 of a file below the root, "" when it does not exist. */
int step_current_hash(const struct sysroot *sr, const char *path, char out[65])
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

/*
 * Commands run chrooted into another root are that tree's programs, run as
 * root: only when all they reach is the root user's alone, as the system's own is.
 */
int step_check_tree(const struct sysroot *sr, const struct apply_options *o, size_t n_commands,
                    struct apply_result *res)
{
        struct tree_finding f;
        char why[96];
        int r;

        if (!o->regenerate || n_commands == 0 || o->run.command_dir || strcmp(sysroot_dir(sr), "/") == 0 ||
            geteuid() != 0)
                return 0;
        step_progress(o, "checking that what the programs of %s reach is root's alone", sysroot_dir(sr));
        r = tree_check(sr, &f, NULL);
        if (r != -VS_E_UNTRUSTED)
                return r < 0 ? step_fail(res, r, "%s: %s", sysroot_dir(sr), vs_strerror(r)) : 0;
        switch (f.doubt) {
        case TREE_NOT_ROOTS:
                snprintf(why, sizeof(why), "is owned by uid %u, not by root", (unsigned)f.uid);
                break;
        case TREE_WRITABLE:
                snprintf(why, sizeof(why), "is writable by others than root");
                break;
        case TREE_UNREADABLE:
                snprintf(why, sizeof(why), "cannot be checked (%s)", vs_strerror(f.err));
                break;
        case TREE_TOO_LARGE:
                snprintf(why, sizeof(why), "holds more than can be checked");
                break;
        }
        r = step_fail(res, -VS_E_UNTRUSTED, "%s %s, and the tree's programs, which would run as root, reach it", f.path,
                 why);
        tree_finding_free(&f);
        return r;
}

bool step_handover_file(const char *path)
{
        return strcmp(path, SINGLE_GPU_HOOK) == 0 || strcmp(path, HANDOVER_HOOK) == 0 ||
               strncmp(path, PROXMOX_SNIPPETS "vfio-setup-handover-", strlen(PROXMOX_SNIPPETS "vfio-setup-handover-")) == 0;
}

/* Who the record says has the devices: its "guest" line; "-" by hand (bind). */
static char *record_guest(const struct sysroot *sr, const char *name)
{
        char *rel = NULL, *text = NULL, *guest = NULL;

        if (asprintf(&rel, HANDOVER_RUN_DIR "/%s", name) < 0)
                return NULL;
        if (sysroot_read(sr, rel, 4096, &text, NULL) >= 0 && strncmp(text, "guest ", 6) == 0)
                guest = strndup(text + 6, strcspn(text + 6, "\n"));
        free(text);
        free(rel);
        return guest;
}

/*
 * While a guest has devices handed over, the record in run/vfio-setup says what was taken and
 * the script gives it back (and in single-GPU mode the display) when the guest stops.  A script
 * replaced or removed now would not: nothing that changes one goes ahead until the guest has
 * stopped, or release gave the devices back.
 */
int step_check_hook_idle(const struct sysroot *sr, struct apply_result *res)
{
        struct strv names = { 0 };
        int r = 0;

        if (sysroot_list(sr, HANDOVER_RUN_DIR, &names) < 0)
                return 0;
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                const char *name = names.v[i], *gpu = name + strlen(HANDOVER_RECORD_PREFIX);
                char *guest;

                /* Single-GPU records of versions before handover were named after the guest. */
                if (strncmp(name, "single-gpu-", strlen("single-gpu-")) == 0 && name[strlen("single-gpu-")])
                        r = step_fail(res, -VS_E_GUEST_RUNNING,
                                      "the guest %s holds the devices single-GPU mode handed over (/%s/%s): its hook "
                                      "gives them, and the display, back when it stops, and a hook changed now would "
                                      "not. Shut the guest down first (virsh shutdown %s), then run this again",
                                      name + strlen("single-gpu-"), HANDOVER_RUN_DIR, name, name + strlen("single-gpu-"));
                /* An address has one dot: more is the script's file in the making (".new"). */
                if (r < 0 || strncmp(name, HANDOVER_RECORD_PREFIX, strlen(HANDOVER_RECORD_PREFIX)) != 0 || !*gpu ||
                    strchr(gpu, '.') != strrchr(gpu, '.'))
                        continue;
                guest = record_guest(sr, name);
                r = step_fail(res, -VS_E_GUEST_RUNNING,
                              "%s is handed over%s%s (/%s/%s): the script that took it gives it back when the guest "
                              "stops, and a script changed now would not. Shut the guest down first, or give the GPU "
                              "back (" REMEDY_WITH(RELEASE_GPU) "%s" REMEDY_END "), then run this again",
                              gpu, guest && strcmp(guest, "-") != 0 ? " to guest " : " by hand",
                              guest && strcmp(guest, "-") != 0 ? guest : "", HANDOVER_RUN_DIR, name, gpu);
                free(guest);
        }
        strv_free(&names);
        return r;
}

/* The lock, or why not in *ret_reason. */
int step_lock(const struct sysroot *sr, struct tool_lock **ret, char **ret_reason)
{
        pid_t holder = 0;
        int r = tool_lock_take(sr, LOCK_WAIT_MS, ret, &holder), n;

        if (r >= 0)
                return 0;
        if (r == -VS_E_LOCKED && holder)
                n = asprintf(ret_reason, "another vfio-setup (pid %ld) is changing this system; try again when it is "
                             "done", (long)holder);
        else if (r == -VS_E_LOCKED)
                n = asprintf(ret_reason, "another vfio-setup is changing this system; try again when it is done");
        else
                n = asprintf(ret_reason, "/" LOCK_PATH ": %s", vs_strerror(r));
        return n < 0 ? -ENOMEM : r;
}

int step_take_lock(const struct sysroot *sr, struct tool_lock **ret, struct apply_result *res)
{
        free(res->failed);
        res->failed = NULL;
        return step_lock(sr, ret, &res->failed);
}

/* Under the lock: what a run cut short left behind goes, then the newest journal is read. */
int step_open_last(const struct sysroot *sr, struct journal **ret, struct apply_result *res)
{
        char *reason = NULL;
        int r = journal_tidy(sr);

        if (r < 0)
                return step_fail(res, r, "/" JOURNAL_DIR ": %s", vs_strerror(r));
        r = journal_open_last(sr, ret, &reason);
        if (r < 0 && r != -ENOENT)
                r = reason ? step_fail(res, r, "%s", reason) : step_fail(res, r, "/" JOURNAL_DIR ": %s", vs_strerror(r));
        free(reason);
        return r;
}

/*
 * Puts files back from the journal, last written first.  With `check` a file
 * is only touched while it holds what apply wrote (or already what it held
 * before); otherwise it is left and named.  Every copy is read and checked
 * first: a bad one refuses the whole restore with nothing written.  Then
 * every file is read back: res->checked says each holds what it held before.
 * A file that could not be written is named in left; the first such error is
 * returned once all the others were tried.
 */
/* What a file held before apply, as a hash ("" for none): for a seeded new file, undo gives back the seed. */
static const char *target(const struct journal_entry *e, bool undo)
{
        return e->seeded && !undo ? "" : e->before;
}

int step_restore(const struct sysroot *sr, const struct journal *j, bool check, bool undo,
                 const struct apply_options *o, struct apply_result *res)
{
        struct copy {
                char *data;
                size_t len;
                bool todo;
        } *copies = calloc(j->n ? j->n : 1, sizeof(*copies));
        int r = 0, werr = 0;

        if (!copies)
                return -ENOMEM;
        for (size_t k = 0; k < j->n && r >= 0; k++) {
                const struct journal_entry *e = &j->entries[k];
                char now[65], *reason = NULL;
                int q = step_current_hash(sr, e->path, now);

                if (q >= 0 && strcmp(now, target(e, undo)) == 0)
                        continue;
                if (q >= 0 && check && strcmp(now, e->after) != 0) {
                        r = strv_pushf(&res->left, "/%s", e->path);
                        continue;
                }
                copies[k].todo = true;
                if (!*target(e, undo))
                        continue;
                q = journal_backup(j, k, &copies[k].data, &copies[k].len, &reason);
                if (q < 0)
                        r = reason ? step_fail(res, q, "%s", reason) : step_fail(res, q, "%s", vs_strerror(q));
                free(reason);
        }
        for (size_t k = j->n; k-- > 0 && r >= 0;) {
                const struct journal_entry *e = &j->entries[k];
                int q;

                if (!copies[k].todo)
                        continue;
                res->wrote = true;
                step_progress(o, "restoring /%s", e->path);
                if (!*target(e, undo)) {
                        q = atomic_remove(sr, e->path);
                        q = q == -ENOENT ? 0 : q;
                } else
                        /* A configuration file never gets set-id bits back, whatever the journal says. */
                        q = atomic_write(sr, e->path, copies[k].data, copies[k].len, e->mode & 0777, e->uid, e->gid,
                                         NULL);
                if (q < 0 && !werr) {
                        werr = q;
                        /* A rollback keeps the failure that caused it; undo says what stopped it. */
                        if (!res->failed && step_fail(res, q, "/%s: %s", e->path, vs_strerror(q)) == -ENOMEM)
                                r = -ENOMEM;
                }
                q = q < 0 ? strv_pushf(&res->left, "/%s", e->path) : strv_pushf(&res->rolled_back, "/%s", e->path);
                if (q < 0)
                        r = q;
        }
        for (size_t k = j->dirs.n; k-- > 0 && r >= 0;)
                remove_empty_dir(sr, j->dirs.v[k]);
        /* Read back, so that what is reported is what is on the disk. */
        res->checked = r >= 0;
        for (size_t k = 0; k < j->n && r >= 0; k++) {
                char now[65];

                if (step_current_hash(sr, j->entries[k].path, now) < 0 || strcmp(now, target(&j->entries[k], undo)) != 0) {
                        res->checked = false;
                        r = strv_pushf(&res->left, "/%s", j->entries[k].path);
                }
        }
        strv_uniq(&res->left);
        for (size_t k = 0; k < j->n; k++)
                free(copies[k].data);
        free(copies);
        return r < 0 ? r : werr;
}

static void record_command(struct apply_result *res, const struct strv *argv, int status)
{
        struct apply_command *v = reallocarray(res->commands, res->n_commands + 1, sizeof(*v));

        if (!v)
                return;
        res->commands = v;
        v[res->n_commands] = (struct apply_command){ .status = status };
        if (strv_merge(&v[res->n_commands].argv, argv) >= 0)
                res->n_commands++;
        else
                strv_free(&v[res->n_commands].argv);
}

/*
 * Files whose change the running system takes at once (the command that applies it runs
 * with the apply): every other one waits for the next boot.
 */
static const char *const live_prefixes[] = { "var/lib/vfio-setup/", "etc/tmpfiles.d/" };

static bool takes_effect_now(const char *path)
{
        for (size_t i = 0; i < sizeof(live_prefixes) / sizeof(live_prefixes[0]); i++)
                if (strncmp(path, live_prefixes[i], strlen(live_prefixes[i])) == 0)
                        return true;
        return false;
}

/*
 * What the journal's entries became, after an apply (forward) or an undo, for the report.
 * The work is done and journalled by then: memory running out shortens the list, it never
 * turns the outcome into a failure.
 */
void step_record_files(struct apply_result *res, const struct journal *j, bool forward)
{
        for (size_t i = 0; i < j->n; i++)
                res->reboot = res->reboot ||
                              (strcmp(j->entries[i].before, j->entries[i].after) != 0 && !takes_effect_now(j->entries[i].path));
        res->files = calloc(j->n ? j->n : 1, sizeof(*res->files));
        for (size_t i = 0; res->files && i < j->n; i++) {
                const struct journal_entry *e = &j->entries[i];
                struct apply_file *f = &res->files[res->n_files];

                if (asprintf(&f->path, "/%s", e->path) < 0)
                        break;
                snprintf(f->before, sizeof(f->before), "%s", forward ? e->before : e->after);
                snprintf(f->after, sizeof(f->after), "%s", forward ? e->after : e->before);
                res->n_files++;
        }
}

/* Runs the first n commands in order; *ret_ran counts those that succeeded. */
int step_run_commands(const struct strv *commands, size_t n, const struct apply_options *o, size_t *ret_ran,
                      struct apply_result *res)
{
        *ret_ran = 0;
        for (size_t i = 0; i < n; i++) {
                char *line = shell_command(&commands[i]);
                int status = 0, r;

                if (!line)
                        return -ENOMEM;
                step_progress(o, "running %s (%zu/%zu)", line, i + 1, n);
                r = run_command(&commands[i], &o->run, &status);
                if (res)
                        record_command(res, &commands[i], r == -ENOENT ? -1 : r == -ETIMEDOUT ? -2 : r < 0 ? status : 0);
                if (r < 0 && res) {
                        if (r == -ENOENT)
                                r = step_fail(res, r, "%s: command not found", commands[i].v[0]);
                        else if (r == -ETIMEDOUT)
                                r = step_fail(res, r, "%s: still running after %u seconds, killed", line, o->run.timeout);
                        else if (r == -VS_E_COMMAND)
                                r = step_fail(res, r, "%s: exit status %d", line, status);
                        else
                                r = step_fail(res, r, "%s: %s", line, vs_strerror(r));
                }
                free(line);
                if (r < 0)
                        return r == -ENOMEM ? r : -VS_E_COMMAND;
                (*ret_ran)++;
        }
        return 0;
}

/* Adds to what the outcome says after its verdict. */
int step_add_note(struct apply_result *res, const char *fmt, ...)
{
        char *text, *joined;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        if (!res->note) {
                res->note = text;
                return 0;
        }
        n = asprintf(&joined, "%s; %s", res->note, text);
        free(text);
        if (n < 0)
                return -ENOMEM;
        free(res->note);
        res->note = joined;
        return 0;
}

/* Records the journal's new state; when it cannot, says so rather than pretend. */
int step_mark(const struct sysroot *sr, struct journal *j, enum journal_state state, struct apply_result *res)
{
        int r = journal_set_state(sr, j, state);

        if (r < 0)
                step_add_note(res, "the journal /" JOURNAL_DIR "/%04u could not record it (%s); it still says \"%s\": "
                         "vfio-setup undo will finish the job", j->seq, vs_strerror(r), journal_state_name(j->state));
        return r;
}

/*
 * After the files are back: what the first n commands changed outside the
 * files is undone, and boot files made from the new configuration are made
 * again from the old one.
 */
int step_run_undo_commands(const struct journal *j, size_t n, const struct apply_options *o, struct apply_result *res)
{
        struct strv *undo;
        size_t n_undo, ran;
        int r = commands_for_undo(j->commands, j->undo_commands, n, &undo, &n_undo);

        if (r < 0)
                return r;
        r = step_run_commands(undo, n_undo, o, &ran, res);
        commands_free(undo, n_undo);
        return r;
}

int apply_outcome(int r, const struct apply_result *res, char **ret)
{
        char *left = strv_join(&res->left, ", ");
        const char *what = res->failed ? res->failed : vs_strerror(r);
        int n;

        if (!left)
                return -ENOMEM;
        /* Only what was read back is claimed. */
        if (!res->wrote)
                n = asprintf(ret, "%s; nothing was changed", what);
        else if (res->checked && !res->left.n)
                n = asprintf(ret, "%s; every file was put back as it was (each read back and compared)%s%s", what,
                             res->note ? "; " : "", res->note ? res->note : "");
        else
                n = asprintf(ret, "%s; %s%s (vfio-setup undo tries again)%s%s", what,
                             res->left.n ? "these do not hold what they held before: " : "the files could not all be read "
                             "back", left, res->note ? "; " : "", res->note ? res->note : "");
        free(left);
        return n < 0 ? -ENOMEM : 0;
}

void apply_result_free(struct apply_result *r)
{
        free(r->failed);
        free(r->note);
        free(r->output);
        for (size_t i = 0; i < r->n_files; i++)
                free(r->files[i].path);
        free(r->files);
        for (size_t i = 0; i < r->n_commands; i++)
                strv_free(&r->commands[i].argv);
        free(r->commands);
        strv_free(&r->rolled_back);
        strv_free(&r->left);
}
