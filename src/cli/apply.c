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

static bool confirmed(const struct cli_options *opt)
{
        char answer[16];

        if (opt->yes)
                return true;
        if (!isatty(STDIN_FILENO)) {
                fprintf(stderr, "vfio-setup: apply: nothing to confirm with: stdin is not a terminal\nhint: add --yes\n");
                return false;
        }
        printf("Apply this plan? [y/N] ");
        fflush(stdout);
        return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

static void report_rollback(const struct apply_result *res)
{
        for (size_t i = 0; i < res->left.n; i++)
                fprintf(stderr, "  could not put back %s (vfio-setup undo tries again)\n", res->left.v[i]);
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
        if (!confirmed(opt)) {
                plan_free(p);
                return EXIT_USAGE;
        }
        options(opt, &o);
        printf("Applying:\n");
        r = apply_plan(sr, p, &o, &res);
        if (r == -VS_E_STALE || r == -VS_E_UNFINISHED) {
                fprintf(stderr, "vfio-setup: apply: %s\n", res.failed);
                r = EXIT_NOT_READY;
        } else if (r < 0) {
                fprintf(stderr, "vfio-setup: apply: %s; %s\n", res.failed ? res.failed : vs_strerror(r),
                        res.left.n ? "files were put back, except:" : "every file was put back as it was");
                report_rollback(&res);
                r = EXIT_APPLY_FAILED;
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
        unsigned seq = 0;
        int r;

        if (!allowed(opt, "undo"))
                return EXIT_USAGE;
        options(opt, &o);
        r = undo_last(sr, &o, &res, &seq);
        if (r == -ENOENT) {
                printf("Nothing to undo: no apply of vfio-setup is left to put back.\n");
                apply_result_free(&res);
                return EXIT_OK;
        }
        if (r == -VS_E_STALE) {
                for (size_t i = 0; i < res.left.n; i++)
                        fprintf(stderr, "vfio-setup: undo: %s changed since apply %04u wrote it; left as it is\n",
                                res.left.v[i], seq);
                fprintf(stderr, "hint: put it back by hand (or as it was after apply) and run vfio-setup undo again\n");
                r = EXIT_APPLY_FAILED;
        } else if (r < 0) {
                fprintf(stderr, "vfio-setup: undo: %s\n", res.failed ? res.failed : vs_strerror(r));
                r = EXIT_APPLY_FAILED;
        } else {
                printf("Apply %04u undone.%s\n", seq, o.regenerate ? "" : " Regenerate the boot files by hand.");
                r = EXIT_OK;
        }
        apply_result_free(&res);
        return r;
}
