/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tui/tui.h"
#include "cli.h"
#include "vfio-setup/card.h"
#include "vfio-setup/datadir.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"

static struct tui_options look(const struct cli_options *opt)
{
        const char *nc = getenv("NO_COLOR");

        return (struct tui_options){
                .color = !opt->no_color && !(nc && *nc),
                .ascii = opt->ascii || strcmp(nl_langinfo(CODESET), "UTF-8") != 0,
        };
}

static int run(struct sysroot *sr, const struct cli_options *opt, bool demo)
{
        const char *dir = getenv("VFIO_SETUP_COMMAND_PATH");
        struct tui_options t = look(opt);
        struct wizard_options o = {
                .can_apply = demo || strcmp(opt->root, "/") != 0 || geteuid() == 0,
                .why_not = "Applying changes the system and needs root: run sudo vfio-setup to apply.",
                .demo = demo,
                /* A demo changes only its sample's copy: the commands are listed, never run. */
                .apply = { .regenerate = !demo && !opt->no_regenerate,
                           .run = { .root = sysroot_dir(sr), .command_dir = dir && *dir ? dir : NULL,
                                    .timeout = opt->timeout } },
                .lg = opt->selection.lg,
                .vm = opt->selection.vm,
                .default_user = getenv("SUDO_USER"),
        };
        struct machine *m;
        int r;

        r = detect_machine(sr, &m);
        if (r >= 0)
                r = tui_run(&o, sr, m, &t);
        if (r == -ENOTTY) {
                fprintf(stderr, "vfio-setup: the wizard needs a terminal (stdin and stdout)\n"
                                "hint: the same steps as commands: vfio-setup detect, plan, apply (see --help)\n");
                return EXIT_USAGE;
        }
        if (r < 0) {
                cli_error("wizard", r, NULL);
                return EXIT_USAGE;
        }
        return EXIT_OK;
}

int cli_wizard(struct sysroot *sr, const struct cli_options *opt)
{
        return run(sr, opt, false);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
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
        free(dir);
        strv_sort(&names);
        printf("Sample machines for vfio-setup --demo NAME:\n");
        for (size_t i = 0; i < names.n; i++)
                printf("  %s\n", names.v[i]);
        strv_free(&names);
        return EXIT_OK;
}

int cli_demo(const char *name, const struct cli_options *opt)
{
        char *file = NULL, *path = NULL, root[] = "/tmp/vfio-setup-demo-XXXXXX";
        struct sysroot *sr;
        struct card c;
        int r;

        if (!name)
                return list_samples();
        if (asprintf(&file, "samples/%s.card", name) < 0)
                return EXIT_USAGE;
        r = data_path(file, &path);
        free(file);
        if (r < 0) {
                fprintf(stderr, "vfio-setup: --demo %s: no such sample machine\nhint: vfio-setup --demo lists them\n", name);
                return EXIT_USAGE;
        }
        r = card_load(path, &c);
        free(path);
        if (r < 0) {
                cli_error("--demo", r, NULL);
                return EXIT_USAGE;
        }
        if (!mkdtemp(root)) {
                card_free(&c);
                cli_error("--demo", -errno, NULL);
                return EXIT_USAGE;
        }
        r = card_build_root(&c, root);
        card_free(&c);
        if (r >= 0)
                r = sysroot_new(root, &sr);
        if (r < 0) {
                cli_error("--demo", r, NULL);
                nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
                return EXIT_USAGE;
        }
        r = run(sr, opt, true);
        sysroot_free(sr);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return r;
}
