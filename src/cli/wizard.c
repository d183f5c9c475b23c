/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfio-setup/tui.h"
#include "cli.h"
#include "vfio-setup/card.h"
#include "vfio-setup/datadir.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/strbuf.h"
#include "output.h"

static struct tui_options look(const struct cli_options *opt)
{
        const char *nc = getenv("NO_COLOR");

        return (struct tui_options){
                .color = !opt->no_color && !(nc && *nc),
                .ascii = opt->ascii || strcmp(nl_langinfo(CODESET), "UTF-8") != 0,
        };
}

/* A --root that is not / is named in every command the wizard shows, so that it acts on the same tree. */
static char *invocation_of(const struct cli_options *opt, bool demo, bool kept)
{
        char *text;

        /* A demo's copy that goes when the wizard ends is no place for commands: they are named as for a real machine. */
        if (strcmp(opt->root, "/") == 0 || (demo && !kept))
                return strdup("sudo vfio-setup");
        if (asprintf(&text, "%svfio-setup --root %s", demo ? "" : "sudo ", opt->root) < 0)
                return NULL;
        return text;
}

static int run(struct sysroot *sr, const struct cli_options *opt, bool demo, const char *kept)
{
        const char *dir = getenv("VFIO_SETUP_COMMAND_PATH"), *log = getenv("VFIO_SETUP_SYSFS_LOG");
        struct tui_options t = look(opt);
        char *invocation = invocation_of(opt, demo, kept != NULL), *farewell = NULL;
        struct wizard_options o = {
                .can_apply = demo || strcmp(opt->root, "/") != 0 || geteuid() == 0,
                .why_not = "Applying changes the system and needs root: run sudo vfio-setup to apply.",
                .demo = demo,
                .demo_root = kept,
                .invocation = invocation,
                /* A demo changes only its sample's copy: the commands are listed, never run. */
                .apply = { .regenerate = !demo && !opt->no_regenerate,
                           .run = { .root = sysroot_dir(sr), .command_dir = dir && *dir ? dir : NULL,
                                    .timeout = opt->timeout } },
                .lg = opt->selection.lg,
                .vm = opt->selection.vm,
                .default_user = getenv("SUDO_USER"),
                .sysfs_log = log && *log ? log : NULL,
        };
        struct machine *m;
        bool failed = false;
        int r;

        if (!invocation)
                return EXIT_USAGE;
        r = detect_machine(sr, &m);
        if (r >= 0)
                r = tui_run(&o, sr, m, &t, &farewell, &failed);
        free(invocation);
        if (r == -ENOTTY) {
                fprintf(stderr, "vfio-setup: the wizard needs a terminal (stdin and stdout)\n"
                                "hint: the same steps as commands: vfio-setup detect, plan, apply (see --help)\n");
                return EXIT_USAGE;
        }
        if (r < 0) {
                cli_error("wizard", r, NULL);
                return EXIT_USAGE;
        }
        /* What the last screen said goes when the terminal leaves the wizard's screen: it is said again here. */
        output_guard_streams();
        output_wrapped(stdout, farewell ? farewell : "Quit before anything was applied: nothing was written.\n");
        free(farewell);
        return failed ? EXIT_APPLY_FAILED : EXIT_OK;
}

int cli_wizard(struct sysroot *sr, const struct cli_options *opt)
{
        return run(sr, opt, false, NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

/* What a sample is: its card's opening comment up to the first ':' or '.', joined across lines. */
static char *describe(const char *dir, const char *name)
{
        char *path, *line = NULL, *out = NULL;
        struct strbuf b = { 0 };
        size_t cap = 0;
        bool done = false;
        FILE *f;

        if (asprintf(&path, "%s/%s.card", dir, name) < 0)
                return NULL;
        f = fopen(path, "re");
        free(path);
        if (!f)
                return NULL;
        while (!done && getline(&line, &cap, f) > 0 && line[0] == '#' && !strchr(line, '\t')) {
                size_t len = strcspn(line + 1, ":.\n");

                done = line[1 + len] == ':' || line[1 + len] == '.';
                strbuf_printf(&b, "%s%.*s", b.len ? " " : "", (int)(len > 0 ? len - 1 : 0), line + 2);
        }
        free(line);
        fclose(f);
        if (strbuf_finish(&b, &out) < 0)
                return NULL;
        return out;
}

static int list_samples(void)
{
        char *dir;
        DIR *d;
        struct dirent *de;
        struct strv names = { 0 };

        if (data_path("samples", &dir) < 0 || !(d = opendir(dir))) {
                fprintf(stderr, "vfio-setup: --demo: the sample machines are not installed\n");
                return EXIT_USAGE;
        }
        while ((de = readdir(d)))
                if (strlen(de->d_name) > 5 && strcmp(de->d_name + strlen(de->d_name) - 5, ".card") == 0)
                        strv_consume(&names, strndup(de->d_name, strlen(de->d_name) - 5));
        closedir(d);
        strv_sort(&names);
        printf("Sample machines for vfio-setup --demo NAME [--keep]:\n");
        for (size_t i = 0; i < names.n; i++) {
                char *what = describe(dir, names.v[i]);

                printf("  %-16s %s\n", names.v[i], what ? what : "");
                free(what);
        }
        free(dir);
        strv_free(&names);
        return EXIT_OK;
}

static volatile sig_atomic_t child_pid;

/* The wizard's process gets the signal too (from the terminal, or forwarded): it ends, and the copy is removed after. */
static void forward(int sig)
{
        if (child_pid > 0)
                kill((pid_t)child_pid, sig);
}

/*
 * The wizard runs in a child process so that however it ends (q, Ctrl-C,
 * SIGHUP when the terminal goes, SIGTERM) this process is still there to
 * remove the sample's copy, and then ends the same way.
 */
static int run_guarded(struct sysroot *sr, const struct cli_options *opt, const char *root, bool keep)
{
        static const int sigs[] = { SIGINT, SIGHUP, SIGTERM, SIGQUIT };
        struct sigaction sa = { .sa_handler = forward }, old[4];
        int status = 0, r;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                r = run(sr, opt, true, keep ? root : NULL);
                fflush(NULL);
                _exit(r);
        }
        child_pid = pid;
        for (size_t i = 0; i < 4; i++)
                sigaction(sigs[i], &sa, &old[i]);
        while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
                ;
        child_pid = 0;
        for (size_t i = 0; i < 4; i++)
                sigaction(sigs[i], &old[i], NULL);
        if (!keep)
                nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        else
                fprintf(stderr, "vfio-setup: the demo's copy is kept in %s\n"
                                "hint: vfio-setup --demo --root %s runs the wizard on it again; rm -r it when done\n",
                        root, root);
        if (r < 0)
                return EXIT_USAGE;
        if (WIFSIGNALED(status)) {
                signal(WTERMSIG(status), SIG_DFL);
                raise(WTERMSIG(status));
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_USAGE;
}

void cli_demo_remove(const char *root)
{
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int cli_demo_tree(const char *name, char root[DEMO_ROOT_SIZE])
{
        char *file = NULL, *path = NULL;
        struct card c;
        int r;

        if (asprintf(&file, "samples/%s.card", name) < 0)
                return -1;
        r = data_path(file, &path);
        free(file);
        if (r < 0) {
                fprintf(stderr, "vfio-setup: --demo %s: no such sample machine\nhint: vfio-setup --demo lists them\n", name);
                return -1;
        }
        r = card_load(path, &c);
        free(path);
        if (r < 0) {
                cli_error("--demo", r, NULL);
                return -1;
        }
        snprintf(root, DEMO_ROOT_SIZE, "/tmp/vfio-setup-demo-XXXXXX");
        if (!mkdtemp(root)) {
                card_free(&c);
                cli_error("--demo", -errno, NULL);
                return -1;
        }
        r = card_build_root(&c, root);
        card_free(&c);
        if (r < 0) {
                cli_error("--demo", r, NULL);
                cli_demo_remove(root);
                return -1;
        }
        return 0;
}

int cli_demo(const char *name, const struct cli_options *opt, bool keep)
{
        char root[DEMO_ROOT_SIZE];
        struct cli_options demo_opt = *opt;
        struct sysroot *sr;
        int r;

        if (!name)
                return list_samples();
        if (cli_demo_tree(name, root) < 0)
                return EXIT_USAGE;
        r = sysroot_new(root, &sr);
        if (r < 0) {
                cli_error("--demo", r, NULL);
                cli_demo_remove(root);
                return EXIT_USAGE;
        }
        demo_opt.root = root;
        r = run_guarded(sr, &demo_opt, root, keep);
        sysroot_free(sr);
        if (r < 0) {
                cli_error("--demo", r, NULL);
                cli_demo_remove(root);
                return EXIT_USAGE;
        }
        return r;
}

int cli_demo_again(const struct cli_options *opt)
{
        struct sysroot *sr;
        int r = sysroot_new(opt->root, &sr);

        if (r < 0) {
                fprintf(stderr, "vfio-setup: --root %s: %s\n", opt->root, vs_strerror(r));
                return EXIT_USAGE;
        }
        r = run(sr, opt, true, opt->root);
        sysroot_free(sr);
        return r;
}
