/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vfio-setup/errors.h"

enum { OPT_ROOT = 0x100, OPT_NO_COLOR, OPT_ASCII, OPT_VERSION, OPT_JSON, OPT_LIST };

/* Which options each subcommand takes, besides the global ones. */
static const struct command {
        const char *name;
        int (*run)(struct sysroot *sr, const struct cli_options *opt);
        const int *options;
        const char *usage;
        const char *summary;
} commands[] = {
        { "detect", cli_detect, (const int[]){ OPT_JSON, 0 }, "detect [--json]",
          "what the machine is: CPU, IOMMU, GPUs and their groups, boot chain, VFIO state" },
        { "snapshot", cli_snapshot, (const int[]){ 'o', OPT_LIST, 0 }, "snapshot -o FILE.tar.gz [--list]",
          "capture the files detection reads, as an archive usable with --root" },
};

static const struct option long_options[] = {
        { "root", required_argument, NULL, OPT_ROOT },
        { "no-color", no_argument, NULL, OPT_NO_COLOR },
        { "ascii", no_argument, NULL, OPT_ASCII },
        { "version", no_argument, NULL, OPT_VERSION },
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, OPT_JSON },
        { "list", no_argument, NULL, OPT_LIST },
        { "output", required_argument, NULL, 'o' },
        { 0 },
};

void cli_error(const char *what, int err, const char *hint)
{
        fprintf(stderr, "vfio-setup: %s: %s\n", what, vs_strerror(err));
        if (hint)
                fprintf(stderr, "hint: %s\n", hint);
}

static void usage(FILE *f, const struct command *only)
{
        if (only) {
                fprintf(f, "Usage: vfio-setup [--root DIR] %s\n\n%s\n", only->usage, only->summary);
                return;
        }
        fprintf(f, "Usage: vfio-setup [GLOBAL OPTIONS] COMMAND [OPTIONS]\n\n"
                   "Guides a Linux machine through VFIO GPU passthrough setup.\n\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %-36s %s\n", commands[i].usage, commands[i].summary);
        fprintf(f, "\nGlobal options:\n"
                   "  --root DIR     read (and write) the system below DIR instead of /\n"
                   "  --no-color     no colour (also when NO_COLOR is set or output is not a terminal)\n"
                   "  --ascii        ASCII characters only\n"
                   "  --version      print the version\n"
                   "  --help         this help; COMMAND --help for one command\n");
}

static bool takes(const struct command *c, int opt)
{
        for (const int *o = c->options; *o; o++)
                if (*o == opt)
                        return true;
        return false;
}

static const struct command *find_command(const char *name)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

int main(int argc, char **argv)
{
        struct cli_options opt = { .root = "/" };
        const struct command *cmd = NULL;
        struct sysroot *sr;
        int seen[8], n_seen = 0, c, r;
        bool help = false;

        setlocale(LC_ALL, "");
        /* '+' would stop at the command; options may stand before or after it. */
        while ((c = getopt_long(argc, argv, "ho:", long_options, NULL)) != -1) {
                switch (c) {
                case OPT_ROOT:
                        opt.root = optarg;
                        break;
                case OPT_NO_COLOR:
                        opt.no_color = true;
                        break;
                case OPT_ASCII:
                        opt.ascii = true;
                        break;
                case OPT_VERSION:
                        printf("vfio-setup %s\n", VERSION);
                        return EXIT_OK;
                case 'h':
                        help = true;
                        break;
                case OPT_JSON:
                case OPT_LIST:
                case 'o':
                        if (c == OPT_JSON)
                                opt.json = true;
                        else if (c == OPT_LIST)
                                opt.list = true;
                        else
                                opt.output = optarg;
                        if (n_seen < 8)
                                seen[n_seen++] = c;
                        break;
                default:
                        usage(stderr, NULL);
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                cmd = find_command(argv[optind]);
                if (!cmd) {
                        fprintf(stderr, "vfio-setup: unknown command '%s'\n", argv[optind]);
                        usage(stderr, NULL);
                        return EXIT_USAGE;
                }
                if (optind + 1 < argc) {
                        fprintf(stderr, "vfio-setup: %s: unexpected argument '%s'\n", cmd->name, argv[optind + 1]);
                        usage(stderr, cmd);
                        return EXIT_USAGE;
                }
        }
        if (help || !cmd) {
                usage(stdout, cmd);
                return EXIT_OK;
        }
        for (int i = 0; i < n_seen; i++)
                if (!takes(cmd, seen[i])) {
                        fprintf(stderr, "vfio-setup: %s: option not valid for this command\n", cmd->name);
                        usage(stderr, cmd);
                        return EXIT_USAGE;
                }

        r = sysroot_new(opt.root, &sr);
        if (r < 0) {
                fprintf(stderr, "vfio-setup: --root %s: %s\n", opt.root, vs_strerror(r));
                return EXIT_USAGE;
        }
        r = cmd->run(sr, &opt);
        sysroot_free(sr);
        return r;
}
