/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vfio-setup/apply.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/plan.h"

static void show_progress(void *userdata, const char *what)
{
        (void)userdata;
        printf("  %s\n", what);
        fflush(stdout);
}

static void show_line(void *userdata, const char *line)
{
        (void)userdata;
        printf("    | %s\n", line);
        fflush(stdout);
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
static bool allowed(const struct cli_options *opt, const char *what)
{
        if (strcmp(opt->root, "/") != 0 || geteuid() == 0)
                return true;
        fprintf(stderr, "vfio-setup: %s: changing the system needs root privileges\nhint: sudo vfio-setup %s ...\n", what,
                what);
        return false;
}

static bool confirmed(const struct cli_options *opt, const char *what, const char *question)
{
        char answer[16];

        if (opt->yes)
                return true;
        if (!isatty(STDIN_FILENO)) {
                fprintf(stderr, "vfio-setup: %s: nothing to confirm with: stdin is not a terminal\nhint: add --yes\n",
                        what);
                return false;
        }
        printf("%s [y/N] ", question);
        fflush(stdout);
        return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

/* The outcome as apply_outcome words it. */
static void report(const char *what, int r, const struct apply_result *res)
{
        char *text = NULL;

        if (apply_outcome(r, res, &text) < 0)
                fprintf(stderr, "vfio-setup: %s: %s\n", what, vs_strerror(r));
        else
                fprintf(stderr, "vfio-setup: %s: %s\n", what, text);
        free(text);
}

/* An apply cut short is undone before anything else is planned: its files are half old, half new. */
static bool unfinished(const struct sysroot *sr, const char *what)
{
        struct undo_preview u;
        char *reason = NULL;
        int r = undo_pending(sr, &u, &reason);

        if (r == -ENOENT)
                return false;
        if (r < 0) {
                fprintf(stderr, "vfio-setup: %s: %s; nothing was changed\n", what, reason ? reason : vs_strerror(r));
                free(reason);
                return true;
        }
        if (u.unfinished)
                fprintf(stderr, "vfio-setup: %s: apply %04u did not finish; its files are partly changed\n"
                                "hint: vfio-setup undo puts them back; then plan again\n", what, u.seq);
        r = u.unfinished;
        undo_preview_free(&u);
        return r;
}

static void commands_by_hand(const struct plan *p)
{
        printf("Regeneration skipped; run these by hand, in this order:\n");
        for (size_t i = 0; i < p->n_commands; i++) {
                char *line = strv_join(&p->commands[i], " ");

                printf("  %s\n", line ? line : "");
                free(line);
        }
}

int cli_apply(struct sysroot *sr, const struct cli_options *opt)
{
        struct apply_options o;
        struct apply_result res;
        struct machine *m = NULL;
        struct plan *p;
        char *reason = NULL, *text;
        int r;

        if (!allowed(opt, "apply"))
                return EXIT_USAGE;
        if (unfinished(sr, "apply"))
                return EXIT_NOT_READY;
        r = detect_machine(sr, &m);
        if (r >= 0)
                r = plan_build(sr, m, &opt->selection, &p, &reason);
        if (r < 0) {
                fprintf(stderr, "vfio-setup: apply: %s\n", reason ? reason : vs_strerror(r));
                free(reason);
                machine_free(m);
                return plan_refused(r) ? EXIT_NOT_READY : EXIT_USAGE;
        }
        machine_free(m);
        r = plan_to_text(p, &text);
        if (r >= 0) {
                fputs(text, stdout);
                free(text);
        }
        if (plan_empty(p)) {
                plan_free(p);
                return EXIT_OK;
        }
        if (!confirmed(opt, "apply", "Apply this plan?")) {
                plan_free(p);
                return EXIT_USAGE;
        }
        options(opt, &o);
        printf("Applying:\n");
        r = apply_plan(sr, p, &o, &res);
        if (r < 0) {
                report("apply", r, &res);
                r = res.wrote ? EXIT_APPLY_FAILED : EXIT_NOT_READY;
        } else {
                if (!o.regenerate && p->n_commands)
                        commands_by_hand(p);
                printf("Done. Next: reboot (and set the firmware options if detect asked for them), then run:\n"
                       "  vfio-setup verify\nTo put everything back: vfio-setup undo\n");
                r = EXIT_OK;
        }
        apply_result_free(&res);
        plan_free(p);
        return r;
}

int cli_undo(struct sysroot *sr, const struct cli_options *opt)
{
        struct apply_options o;
        struct apply_result res;
        struct undo_preview u;
        char *reason = NULL;
        unsigned seq = 0;
        int r;

        if (!allowed(opt, "undo"))
                return EXIT_USAGE;
        r = undo_pending(sr, &u, &reason);
        if (r == -ENOENT) {
                /* undo_last still runs: under its lock it removes what a run cut short before its journal existed. */
                options(opt, &o);
                r = undo_last(sr, &o, &res, &seq);
                if (r < 0 && r != -ENOENT)
                        report("undo", r, &res);
                else
                        printf("Nothing to undo: no apply of vfio-setup is left to put back.\n");
                apply_result_free(&res);
                return r < 0 && r != -ENOENT ? EXIT_NOT_READY : EXIT_OK;
        }
        if (r < 0) {
                fprintf(stderr, "vfio-setup: undo: %s; nothing was changed\n", reason ? reason : vs_strerror(r));
                free(reason);
                return EXIT_NOT_READY;
        }
        printf("Undo apply %04u%s: put back\n", u.seq, u.unfinished ? " (cut short)" : "");
        for (size_t i = 0; i < u.files.n; i++)
                printf("  %s\n", u.files.v[i]);
        if (u.commands.n)
                printf("then run%s:\n", opt->no_regenerate ? " (by hand, --no-regenerate)" : "");
        for (size_t i = 0; i < u.commands.n; i++)
                printf("  %s\n", u.commands.v[i]);
        undo_preview_free(&u);
        if (!confirmed(opt, "undo", "Undo it?"))
                return EXIT_USAGE;
        options(opt, &o);
        r = undo_last(sr, &o, &res, &seq);
        if (r == -ENOENT) {
                printf("Nothing to undo: no apply of vfio-setup is left to put back.\n");
                r = EXIT_OK;
        } else if (r == -VS_E_STALE) {
                for (size_t i = 0; i < res.left.n; i++)
                        fprintf(stderr, "vfio-setup: undo: %s changed since apply %04u wrote it; left as it is\n",
                                res.left.v[i], seq);
                fprintf(stderr, "hint: put it back by hand (or as it was after apply) and run vfio-setup undo again\n");
                r = EXIT_APPLY_FAILED;
        } else if (r < 0) {
                report("undo", r, &res);
                r = res.wrote ? EXIT_APPLY_FAILED : EXIT_NOT_READY;
        } else {
                printf("Apply %04u undone: every file holds what it held before (each read back and compared).%s%s%s\n",
                       seq, res.note ? " Note: " : "", res.note ? res.note : "",
                       o.regenerate ? "" : " Regenerate the boot files by hand.");
                r = EXIT_OK;
        }
        apply_result_free(&res);
        return r;
}
