/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "output.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/machine.h"
#include "vfio-setup/pciaddr.h"

static int run(int argc, char **argv, struct cli_options *opt)
{
        const struct command *cmd = NULL;
        struct sysroot *sr;
        struct strv seen = { 0 };
        bool help = false, demo = false, keep = false, only_wizard = true;
        char demo_root[DEMO_ROOT_SIZE];
        const char *sample = NULL;
        int c, r;

        /* Options may stand before or after the command. */
        while ((c = getopt_long(argc, argv, "ho:", cli_long_options, NULL)) != -1) {
                switch (c) {
                case OPT_ROOT:
                        opt->root = optarg;
                        break;
                case OPT_NO_COLOR:
                        opt->no_color = true;
                        break;
                case OPT_ASCII:
                        opt->ascii = true;
                        break;
                case OPT_VERSION:
                        printf("vfio-setup %s\n", VERSION);
                        return EXIT_OK;
                case 'h':
                        help = true;
                        break;
                case OPT_DEMO:
                        demo = true;
                        break;
                case OPT_KEEP:
                        keep = true;
                        break;
                case '?':
                        /* getopt said what is wrong. */
                        fprintf(stderr, "hint: vfio-setup --help lists the commands and options\n");
                        strv_free(&seen);
                        return EXIT_USAGE;
                default:
                        if (cli_command_option(opt, c, optarg) < 0 || strv_pushf(&seen, "%d", c) < 0) {
                                strv_free(&seen);
                                return EXIT_USAGE;
                        }
                }
        }
        if (keep && !demo) {
                fprintf(stderr, "vfio-setup: --keep goes with --demo NAME\n");
                strv_free(&seen);
                return EXIT_USAGE;
        }
        if (demo && !help && optind + 1 >= argc) {
                strv_free(&seen);
                /* A demo's copy kept before: the wizard again on it, as it was left. */
                if (optind == argc && strcmp(opt->root, "/") != 0)
                        return cli_demo_again(opt);
                return cli_demo(optind < argc ? argv[optind] : NULL, opt, keep);
        }
        /* --demo NAME COMMAND...: the command on a copy of the sample, made once the command line is checked. */
        if (demo && !help) {
                if (strcmp(opt->root, "/") != 0) {
                        fprintf(stderr, "vfio-setup: --demo NAME is a --root of its own: give one of them\n");
                        strv_free(&seen);
                        return EXIT_USAGE;
                }
                sample = argv[optind++];
        }
        if (optind < argc) {
                cmd = cli_find_command(argv[optind]);
                if (!cmd) {
                        fprintf(stderr, "vfio-setup: unknown command '%s'\n"
                                        "hint: vfio-setup --help lists the commands; without one, the wizard starts\n",
                                argv[optind]);
                        strv_free(&seen);
                        return EXIT_USAGE;
                }
                if (cmd->operand && optind + 2 == argc)
                        opt->operand = argv[optind + 1];
                else if (optind + 1 < argc) {
                        fprintf(stderr, "vfio-setup: %s: unexpected argument '%s'\nhint: vfio-setup %s --help\n",
                                cmd->name, argv[optind + 1], cmd->name);
                        strv_free(&seen);
                        return EXIT_USAGE;
                }
        }
        if (help) {
                cli_usage(stdout, cmd);
                strv_free(&seen);
                return EXIT_OK;
        }
        for (size_t i = 0; i < seen.n; i++)
                only_wizard = only_wizard && cli_wizard_option(atoi(seen.v[i]));
        if (!cmd && !only_wizard) {
                fprintf(stderr, "vfio-setup: these options go with a command\n"
                                "hint: vfio-setup --help lists the commands and their options\n");
                strv_free(&seen);
                return EXIT_USAGE;
        }
        for (size_t i = 0; cmd && i < seen.n; i++)
                if (!cli_command_takes(cmd, atoi(seen.v[i]))) {
                        fprintf(stderr, "vfio-setup: %s: option not valid for this command\nhint: vfio-setup %s --help\n",
                                cmd->name, cmd->name);
                        strv_free(&seen);
                        return EXIT_USAGE;
                }
        strv_free(&seen);
        if (cmd && opt->selection.release &&
            (opt->selection.gpu || opt->selection.extra.n || opt->selection.single_gpu || opt->selection.handover)) {
                fprintf(stderr, "vfio-setup: %s: --release takes no devices, no --single-gpu and no --handover\n",
                        cmd->name);
                return EXIT_USAGE;
        }

        /* Looking Glass's memory belongs to the user behind sudo unless --lg-user says otherwise. */
        if (cmd && !opt->selection.lg.user && getenv("SUDO_USER") && !(opt->selection.lg.user = strdup(getenv("SUDO_USER"))))
                return EXIT_USAGE;
        /* Its commands are not run: the sample's tree has no programs, and nothing is real. */
        if (sample) {
                if (cli_demo_tree(sample, demo_root) < 0)
                        return EXIT_USAGE;
                opt->root = demo_root;
                opt->no_regenerate = true;
        }
        r = sysroot_new(opt->root, &sr);
        if (r < 0) {
                fprintf(stderr, "vfio-setup: --root %s: %s\n", opt->root, vs_strerror(r));
                if (sample)
                        cli_demo_remove(demo_root);
                return EXIT_USAGE;
        }
        /* The wizard draws through curses, which escapes what it shows; everything else prints. */
        if (cmd)
                output_guard_streams();
        r = cmd ? cmd->run(sr, opt) : cli_wizard(sr, opt);
        sysroot_free(sr);
        if (sample && keep)
                fprintf(stderr, "vfio-setup: the sample's copy is kept: %s (--root %s for more commands on it)\n",
                        demo_root, demo_root);
        else if (sample)
                cli_demo_remove(demo_root);
        return r;
}

/*
 * With --json, stdout is one JSON document on every way out: a command that ends before printing
 * its own (a usage error, a refusal) gets one that says what stderr said.  The command is the
 * first word that names one.
 */
static const char *json_command(int argc, char **argv)
{
        const char *command = NULL;
        bool json = false;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return NULL;
                json |= strcmp(argv[i], "--json") == 0;
                if (!command && cli_find_command(argv[i]))
                        command = argv[i];
        }
        return json ? (command ? command : "") : NULL;
}

int main(int argc, char **argv)
{
        /* Regenerating every initramfs of a machine can take minutes; an hour means it hangs. */
        struct cli_options opt = { .root = "/", .timeout = 3600, .selection = { .bootloader = -1, .initramfs = -1 } };
        const char *json = json_command(argc, argv);
        int r;

        setlocale(LC_ALL, "");
        if (json) {
                output_guard_streams();
                output_json_mode();
        }
        r = run(argc, argv, &opt);
        if (json && !output_json_printed() && output_json_error(*json ? json : NULL, r) < 0 && r == EXIT_OK)
                r = EXIT_USAGE;
        selection_free(&opt.selection);
        strv_free(&opt.inputs);
        strv_free(&opt.logs);
        strv_free(&opt.more_domains);
        return r;
}
