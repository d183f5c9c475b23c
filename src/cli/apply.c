/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "remedies.h"
#include "output.h"
#include "vfio-setup/apply.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/session.h"

/* Where what people read goes: stdout, or stderr when stdout carries --json's document. */
static FILE *human;

/* How an apply or undo ended, for --json: the result when the engine ran, the first error said. */
struct outcome {
        struct apply_session s;
        bool ran;
        char *error;
};

/* An error, said on stderr at once and kept (the first) for --json's document. */
static void __attribute__((format(printf, 2, 3))) complain(struct outcome *out, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        fprintf(stderr, "vfio-setup: %s\n", msg ? msg : fmt);
        if (!out->error)
                out->error = msg;
        else
                free(msg);
}

static json_object *hash_or_null(const char *h)
{
        return *h ? json_object_new_string(h) : NULL;
}

/*
 * What an apply or undo did, for a configuration manager: whether anything changed (to
 * report "changed" truthfully), whether a reboot is needed, the files with their hashes,
 * the commands with their exit status, the journal.
 */
/* Paths to read are the tree's: below --root, as the user would type them. */
static int print_json(const char *command, const char *tree, bool ok, const struct outcome *out)
{
        const struct apply_result *res = out->ran ? &out->s.result : NULL;
        json_object *root = json_object_new_object(), *files = json_object_new_array(),
                    *commands = json_object_new_array();
        char name[16], *path = NULL, *output = NULL;
        bool changed = false;

        if (!root || !files || !commands) {
                json_object_put(root);
                json_object_put(files);
                json_object_put(commands);
                return -VS_E_JSON;
        }
        for (size_t i = 0; res && i < res->n_files; i++) {
                const struct apply_file *f = &res->files[i];
                json_object *o = json_object_new_object();

                changed = changed || strcmp(f->before, f->after) != 0;
                json_object_object_add(o, "path", json_object_new_string(f->path));
                json_object_object_add(o, "before", hash_or_null(f->before));
                json_object_object_add(o, "after", hash_or_null(f->after));
                json_object_array_add(files, o);
        }
        for (size_t i = 0; res && i < res->n_commands; i++) {
                json_object *o = json_object_new_object(), *argv = json_object_new_array();

                for (size_t k = 0; k < res->commands[i].argv.n; k++)
                        json_object_array_add(argv, json_object_new_string(res->commands[i].argv.v[k]));
                json_object_object_add(o, "argv", argv);
                json_object_object_add(o, "exit", json_object_new_int(res->commands[i].status));
                json_object_array_add(commands, o);
        }
        /*
         * A run that succeeded changed what its files say (or ran commands); one that failed
         * and was rolled back keeps nothing, unless some file could not be put back.
         */
        changed = ok ? changed || (res && res->n_commands) : res && res->left.n;
        snprintf(name, sizeof(name), "%04u", res ? res->seq : 0);
        if (strcmp(tree, "/") == 0)
                tree = "";
        if (res && res->seq && asprintf(&path, "%s/" JOURNAL_DIR "/%s", tree, name) < 0)
                path = NULL;
        if (res && res->output && asprintf(&output, "%s%s", tree, res->output) < 0)
                output = NULL;
        json_object_object_add(root, "command", json_object_new_string(command));
        json_object_object_add(root, "ok", json_object_new_boolean(ok));
        json_object_object_add(root, "changed", json_object_new_boolean(changed));
        json_object_object_add(root, "reboot_needed", json_object_new_boolean(ok && res && res->reboot));
        json_object_object_add(root, "journal", res && res->seq ? json_object_new_string(name) : NULL);
        json_object_object_add(root, "journal_path", path ? json_object_new_string(path) : NULL);
        json_object_object_add(root, "output", output ? json_object_new_string(output) : NULL);
        json_object_object_add(root, "files", files);
        json_object_object_add(root, "commands", commands);
        json_object_object_add(root, "error", out->error ? json_object_new_string(out->error) : NULL);
        free(path);
        free(output);
        return output_json(root);
}

static void show_progress(void *userdata, const char *what)
{
        (void)userdata;
        fprintf(human, "  %s\n", what);
        fflush(human);
}

static void show_line(void *userdata, const char *line)
{
        (void)userdata;
        fprintf(human, "    | %s\n", line);
        fflush(human);
}

static void options(const struct cli_options *opt, struct apply_options *o)
{
        const char *dir = getenv("VFIO_SETUP_COMMAND_PATH");

        *o = (struct apply_options){
                .regenerate = !opt->no_regenerate,
                .run = { .root = opt->root, .command_dir = dir && *dir ? dir : NULL, .timeout = opt->timeout,
                         .line = show_line },
                .progress = show_progress,
        };
}

/* Changing / takes root; a --root of one's own does not. */
static bool allowed(const struct cli_options *opt, const char *what, struct outcome *out)
{
        if (strcmp(opt->root, "/") != 0 || geteuid() == 0)
                return true;
        complain(out, "%s: changing the system needs root privileges", what);
        fprintf(stderr, "hint: sudo vfio-setup %s ...\n", what);
        return false;
}

static bool confirmed(const struct cli_options *opt, const char *what, const char *question, struct outcome *out)
{
        char answer[16];

        if (opt->yes)
                return true;
        if (!isatty(STDIN_FILENO)) {
                complain(out, "%s: nothing to confirm with: stdin is not a terminal", what);
                fprintf(stderr, "hint: add --yes\n");
                return false;
        }
        fprintf(human, "%s [y/N] ", question);
        fflush(human);
        if (fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y'))
                return true;
        complain(out, "%s: not confirmed; nothing was changed", what);
        return false;
}

/* The outcome as the session words it. */
static void report(const char *what, int r, struct outcome *out)
{
        if (out->s.failure)
                remedy_render_in_place(&out->s.failure, cli_remedies);
        complain(out, "%s: %s", what, out->s.failure ? out->s.failure : vs_strerror(r));
        if (r == -VS_E_UNTRUSTED)
                fprintf(stderr, "hint: with --no-regenerate, vfio-setup writes the files and lists the commands, for you "
                        "to run in the tree once it is root's alone\n");
}

/* An apply cut short is undone before anything else is planned: its files are half old, half new. */
static bool unfinished(const struct sysroot *sr, const char *what, struct outcome *out)
{
        struct undo_preview u;
        char *reason = NULL;
        int r = undo_pending(sr, &u, &reason);

        if (r == -ENOENT)
                return false;
        if (r < 0) {
                complain(out, "%s: %s; nothing was changed", what, reason ? reason : vs_strerror(r));
                free(reason);
                return true;
        }
        if (u.unfinished) {
                complain(out, "%s: apply %04u did not finish; its files are partly changed", what, u.seq);
                fprintf(stderr, "hint: vfio-setup undo puts them back; then plan again\n");
        }
        r = u.unfinished;
        undo_preview_free(&u);
        return r;
}

static void commands_by_hand(const struct strv *commands)
{
        fprintf(human, "Regeneration skipped; run these by hand, in this order:\n");
        for (size_t i = 0; i < commands->n; i++)
                fprintf(human, "  %s\n", commands->v[i]);
}

/*
 * What commit and trial plan: the selection the pending trial was made with, confirmed then
 * (the same devices), for good or as a trial again.
 */
static int pending_selection(const struct machine *m, bool commit, struct selection *ret)
{
        struct selection sel = { .bootloader = -1, .initramfs = -1, .no_trial = commit };
        int r = selection_confirm_trial(&m->vfio.tool, &sel);

        if (r >= 0)
                r = selection_from_state(&m->vfio.tool, &sel);
        if (r < 0) {
                selection_free(&sel);
                return r;
        }
        *ret = sel;
        return 0;
}

/* Plans what the command asks (apply: the options; commit, trial: the pending trial) and carries it out. */
static int plan_and_apply(struct sysroot *sr, const struct cli_options *opt, const char *what, struct outcome *out)
{
        struct apply_options o;
        struct machine *m = NULL;
        struct selection sel = { 0 };
        bool pending = strcmp(what, "apply") != 0, proxmox = false;
        struct plan *p;
        char *reason = NULL, *text;
        int r;

        if (!allowed(opt, what, out))
                return EXIT_USAGE;
        if (unfinished(sr, what, out))
                return EXIT_NOT_READY;
        r = detect_machine(sr, &m);
        if (r >= 0 && pending && !m->vfio.tool.trial.n) {
                complain(out, "%s: no trial is pending: vfio-setup apply makes one", what);
                machine_free(m);
                return EXIT_NOT_READY;
        }
        if (r >= 0 && pending)
                r = pending_selection(m, strcmp(what, "commit") == 0, &sel);
        if (r >= 0)
                r = plan_build_worded(sr, m, pending ? &sel : &opt->selection, cli_remedies, &p, &reason);
        selection_free(&sel);
        if (r < 0) {
                complain(out, "%s: %s", what, reason ? reason : vs_strerror(r));
                free(reason);
                machine_free(m);
                return plan_refused(r) ? EXIT_NOT_READY : EXIT_USAGE;
        }
        proxmox = m->distro.proxmox_ve;
        machine_free(m);
        r = plan_to_text(p, &text);
        if (r >= 0) {
                fputs(text, human);
                free(text);
        }
        if (plan_empty(p)) {
                plan_free(p);
                return EXIT_OK;
        }
        if (!confirmed(opt, what, p->commit ? "Commit this setup?" : p->trial ? "Apply this plan as a trial?"
                                                                        : "Apply this plan?", out)) {
                plan_free(p);
                return EXIT_USAGE;
        }
        options(opt, &o);
        fprintf(human, "Applying:\n");
        r = session_apply(sr, p, &o, 0, &out->s);
        out->ran = true;
        if (r < 0) {
                report(what, r, out);
                r = out->s.result.wrote ? EXIT_APPLY_FAILED : EXIT_NOT_READY;
        } else {
                if (out->s.by_hand.n)
                        commands_by_hand(&out->s.by_hand);
                if (p->trial)
                        fprintf(human, "Done. Next: reboot. The next boot is a trial: it starts the new setup once, "
                                       "from the boot entry \"" TRIAL_ENTRY_TITLE "\". If anything goes wrong, power the "
                                       "machine off and on: the old setup starts, as it does at every later boot until "
                                       "you commit. On the trial's boot, run:\n"
                                       "  vfio-setup verify --commit\n"
                                       "To remove the trial instead: vfio-setup undo\n");
                else if (p->commit)
                        fprintf(human, "Committed: every boot from the next one on starts the setup. To go back to the "
                                       "trial: vfio-setup undo\n");
                /* Single-GPU mode binds nothing at boot: a reboot only for the kernel's own parameters. */
                else if ((p->single_gpu || p->handover) && !proxmox)
                        fprintf(human, "Done. Next: restart libvirtd so that it finds the hook%s, then run:\n",
                                p->params_add.n || p->params_remove.n ? ", and reboot for the kernel parameters" : "");
                else if (p->handover)
                        fprintf(human, "Done. Next: %sthen run:\n",
                                p->params_add.n || p->params_remove.n ? "reboot for the kernel parameters, " : "");
                else
                        fprintf(human, "Done. Next: reboot (and set the firmware options if detect asked for them), "
                                       "then run:\n");
                if (!p->trial && !p->commit)
                        fprintf(human, "  vfio-setup verify\nTo put everything back: vfio-setup undo\n");
                r = EXIT_OK;
        }
        plan_free(p);
        return r;
}

static int run_undo(struct sysroot *sr, const struct cli_options *opt, struct outcome *out)
{
        struct apply_options o;
        struct undo_preview u;
        char *reason = NULL;
        unsigned seq = 0;
        int r;

        if (!allowed(opt, "undo", out))
                return EXIT_USAGE;
        r = undo_pending(sr, &u, &reason);
        if (r == -ENOENT) {
                /* undo_last still runs: under its lock it removes what a run cut short before its journal existed. */
                options(opt, &o);
                r = session_undo(sr, &o, 0, &out->s);
                out->ran = true;
                if (r < 0 && r != -ENOENT) {
                        report("undo", r, out);
                        return EXIT_NOT_READY;
                }
                fprintf(human, "Nothing to undo: no apply of vfio-setup is left to put back.\n");
                return EXIT_OK;
        }
        if (r < 0) {
                complain(out, "undo: %s; nothing was changed", reason ? reason : vs_strerror(r));
                free(reason);
                return EXIT_NOT_READY;
        }
        fprintf(human, "Undo apply %04u%s: put back\n", u.seq, u.unfinished ? " (cut short)" : "");
        for (size_t i = 0; i < u.files.n; i++)
                fprintf(human, "  %s\n", u.files.v[i]);
        if (u.commands.n)
                fprintf(human, "then run%s:\n", opt->no_regenerate ? " (by hand, --no-regenerate)" : "");
        for (size_t i = 0; i < u.commands.n; i++)
                fprintf(human, "  %s\n", u.commands.v[i]);
        undo_preview_free(&u);
        if (!confirmed(opt, "undo", "Undo it?", out))
                return EXIT_USAGE;
        options(opt, &o);
        r = session_undo(sr, &o, 0, &out->s);
        out->ran = true;
        seq = out->s.result.seq;
        if (r == -ENOENT) {
                fprintf(human, "Nothing to undo: no apply of vfio-setup is left to put back.\n");
                return EXIT_OK;
        }
        if (r == -VS_E_STALE) {
                for (size_t i = 0; i < out->s.result.left.n; i++)
                        complain(out, "undo: %s changed since apply %04u wrote it; left as it is", out->s.result.left.v[i],
                                 seq);
                fprintf(stderr, "hint: put it back by hand (or as it was after apply) and run vfio-setup undo again\n");
                return EXIT_APPLY_FAILED;
        }
        if (r < 0) {
                report("undo", r, out);
                return out->s.result.wrote ? EXIT_APPLY_FAILED : EXIT_NOT_READY;
        }
        fprintf(human, "Apply %04u undone: every file holds what it held before (each read back and compared).%s%s%s\n",
                seq, out->s.result.note ? " Note: " : "", out->s.result.note ? out->s.result.note : "",
                o.regenerate ? "" : " Regenerate the boot files by hand.");
        return EXIT_OK;
}

/* Runs apply or undo; with --json, stdout is the outcome's document alone, whatever the outcome. */
static int with_outcome(struct sysroot *sr, const struct cli_options *opt, const char *command,
                        int (*run)(struct sysroot *, const struct cli_options *, struct outcome *))
{
        struct outcome out = { 0 };
        int r;

        human = opt->json ? stderr : stdout;
        /* A reader gone (apply | head) is an error of the write, not the end of the run. */
        signal(SIGPIPE, SIG_IGN);
        r = run(sr, opt, &out);
        if (opt->json && print_json(command, opt->root, r == EXIT_OK, &out) < 0) {
                fprintf(stderr, "vfio-setup: %s: %s\n", command, vs_strerror(-VS_E_JSON));
                r = r == EXIT_OK ? EXIT_USAGE : r;
        }
        /* What standard output could not take is said where it still can be. */
        if (fflush(stdout) != 0 || ferror(stdout)) {
                if (r == EXIT_OK && out.ran && out.s.result.seq)
                        fprintf(stderr, "vfio-setup: %s: standard output could not take the whole report; it finished: "
                                        "journal /" JOURNAL_DIR "/%04u\n", command, out.s.result.seq);
                else
                        fprintf(stderr, "vfio-setup: %s: standard output could not take the whole report; %s\n", command,
                                r == EXIT_OK ? "it finished" : out.error ? out.error : "it did not finish");
        }
        if (out.ran)
                session_free(&out.s);
        free(out.error);
        return r;
}

static int run_apply(struct sysroot *sr, const struct cli_options *opt, struct outcome *out)
{
        return plan_and_apply(sr, opt, "apply", out);
}

static int run_commit(struct sysroot *sr, const struct cli_options *opt, struct outcome *out)
{
        return plan_and_apply(sr, opt, "commit", out);
}

static int run_trial(struct sysroot *sr, const struct cli_options *opt, struct outcome *out)
{
        return plan_and_apply(sr, opt, "trial", out);
}

int cli_apply(struct sysroot *sr, const struct cli_options *opt)
{
        return with_outcome(sr, opt, "apply", run_apply);
}

int cli_commit(struct sysroot *sr, const struct cli_options *opt)
{
        return with_outcome(sr, opt, "commit", run_commit);
}

int cli_trial(struct sysroot *sr, const struct cli_options *opt)
{
        return with_outcome(sr, opt, "trial", run_trial);
}

int cli_undo(struct sysroot *sr, const struct cli_options *opt)
{
        return with_outcome(sr, opt, "undo", run_undo);
}
