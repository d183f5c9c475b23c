/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/machine.h"
#include "vfio-setup/pciaddr.h"

enum {
        OPT_ROOT = 0x100, OPT_NO_COLOR, OPT_ASCII, OPT_VERSION, OPT_JSON, OPT_LIST, OPT_GPU, OPT_EXTRA, OPT_GOAL,
        OPT_BOOTLOADER, OPT_INITRAMFS, OPT_RELEASE, OPT_ALLOW_DIRTY, OPT_ALLOW_BOOT_VGA, OPT_IOMMU_PT, OPT_YES, OPT_NO_REGENERATE,
        OPT_TIMEOUT, OPT_DEMO, OPT_KEEP, OPT_LIBVIRT_XML, OPT_LG_RESOLUTION, OPT_LG_KVMFR, OPT_LG_USER,
        OPT_VM_MEMORY, OPT_VM_CPUS, OPT_DISK, OPT_LG_BIT_DEPTH, OPT_GPUS, OPT_GROUP, OPT_LIBVIRT_DOMAIN, OPT_SINGLE_GPU,
        OPT_GUEST_OS, OPT_ALLOW_HOST_DEVICE, OPT_FORCE,
};

#define PLAN_OPTIONS OPT_GPU, OPT_EXTRA, OPT_GOAL, OPT_BOOTLOADER, OPT_INITRAMFS, OPT_RELEASE, OPT_ALLOW_DIRTY, \
        OPT_ALLOW_BOOT_VGA, OPT_ALLOW_HOST_DEVICE, OPT_IOMMU_PT, \
        OPT_LG_RESOLUTION, OPT_LG_KVMFR, OPT_LG_USER, OPT_LG_BIT_DEPTH, OPT_VM_MEMORY, OPT_VM_CPUS, OPT_DISK, OPT_SINGLE_GPU

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
        { "plan", cli_plan, (const int[]){ PLAN_OPTIONS, OPT_JSON, OPT_LIBVIRT_XML, OPT_LIBVIRT_DOMAIN, OPT_GUEST_OS, 0 },
          "plan [--gpu ADDRESS] [--extra ADDRESS]... [--goal GOAL]... [--iommu-pt] [--allow-dirty-group]\n"
          "       [--allow-boot-vga] [--allow-host-device ADDRESS]... [--bootloader NAME] [--initramfs NAME]\n"
          "       [--single-gpu DOMAIN]\n"
          "       [--json | --libvirt-xml | --libvirt-domain NAME [--guest-os windows|linux]]\n"
          "       [--goal looking-glass [--lg-resolution WxH] [--lg-bit-depth 8|10] [--lg-kvmfr] [--lg-user NAME]]\n"
          "       [--goal gaming [--vm-memory SIZE] [--vm-cpus N]] [--goal storage [--disk NAME]...]\n"
          "plan --release [--json]",
          "exactly which lines of which files would change, and which commands would run\n"
          "      (without --gpu: what vfio-setup set up here, e.g. for --libvirt-xml after an apply)" },
        { "apply", cli_apply, (const int[]){ PLAN_OPTIONS, OPT_YES, OPT_NO_REGENERATE, OPT_TIMEOUT, OPT_JSON, 0 },
          "apply (the options of plan) [--yes] [--no-regenerate] [--timeout SECONDS] [--json]",
          "carry the plan out: back up, write each file atomically, regenerate; roll back on failure" },
        { "undo", cli_undo, (const int[]){ OPT_YES, OPT_NO_REGENERATE, OPT_TIMEOUT, OPT_JSON, 0 },
          "undo [--yes] [--no-regenerate] [--timeout SECONDS] [--json]",
          "show what the last apply changed and put it back, where nobody changed it since" },
        { "verify", cli_verify, (const int[]){ OPT_GPU, OPT_JSON, 0 }, "verify [--gpu ADDRESS] [--json]",
          "after the reboot: are the devices bound to vfio-pci and ready for a guest" },
        { "groups", cli_groups, (const int[]){ OPT_GPUS, OPT_GROUP, OPT_JSON, 0 }, "groups [--gpus | --group N] [--json]",
          "every IOMMU group: its devices, their drivers and reset methods, the bridges above each GPU\n"
          "      and their ACS, and whether the group can go to a guest whole (--gpus: the GPUs' groups)" },
        { "rom", cli_rom, (const int[]){ OPT_GPU, 'o', OPT_FORCE, 0 }, "rom --gpu ADDRESS -o FILE.rom [--force]",
          "save the GPU's video BIOS, checked (signature, PCI data structure, ids, images), for <rom file=.../>" },
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
        { "gpu", required_argument, NULL, OPT_GPU },
        { "extra", required_argument, NULL, OPT_EXTRA },
        { "goal", required_argument, NULL, OPT_GOAL },
        { "bootloader", required_argument, NULL, OPT_BOOTLOADER },
        { "initramfs", required_argument, NULL, OPT_INITRAMFS },
        { "release", no_argument, NULL, OPT_RELEASE },
        { "allow-dirty-group", no_argument, NULL, OPT_ALLOW_DIRTY },
        { "allow-boot-vga", no_argument, NULL, OPT_ALLOW_BOOT_VGA },
        { "allow-host-device", required_argument, NULL, OPT_ALLOW_HOST_DEVICE },
        { "force", no_argument, NULL, OPT_FORCE },
        { "iommu-pt", no_argument, NULL, OPT_IOMMU_PT },
        { "yes", no_argument, NULL, OPT_YES },
        { "no-regenerate", no_argument, NULL, OPT_NO_REGENERATE },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "demo", no_argument, NULL, OPT_DEMO },
        { "keep", no_argument, NULL, OPT_KEEP },
        { "libvirt-xml", no_argument, NULL, OPT_LIBVIRT_XML },
        { "libvirt-domain", required_argument, NULL, OPT_LIBVIRT_DOMAIN },
        { "guest-os", required_argument, NULL, OPT_GUEST_OS },
        { "lg-resolution", required_argument, NULL, OPT_LG_RESOLUTION },
        { "lg-kvmfr", no_argument, NULL, OPT_LG_KVMFR },
        { "lg-bit-depth", required_argument, NULL, OPT_LG_BIT_DEPTH },
        { "lg-user", required_argument, NULL, OPT_LG_USER },
        { "vm-memory", required_argument, NULL, OPT_VM_MEMORY },
        { "vm-cpus", required_argument, NULL, OPT_VM_CPUS },
        { "disk", required_argument, NULL, OPT_DISK },
        { "gpus", no_argument, NULL, OPT_GPUS },
        { "group", required_argument, NULL, OPT_GROUP },
        { "single-gpu", required_argument, NULL, OPT_SINGLE_GPU },
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
                if (only->run == cli_plan || only->run == cli_apply)
                        fprintf(f, "\nBoot loaders: grub grub-bls systemd-boot kernelstub refind limine efistub\n"
                                   "Initramfs generators: mkinitcpio dracut initramfs-tools booster\n");
                return;
        }
        fprintf(f, "Usage: vfio-setup [GLOBAL OPTIONS] [COMMAND [OPTIONS]]\n\n"
                   "Guides a Linux machine through VFIO GPU passthrough setup. Without a command, on a terminal,\n"
                   "a wizard walks through every step; vfio-setup --demo [NAME [--keep]] runs it on a sample machine.\n\n"
                   "Commands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %s\n      %s\n", commands[i].usage, commands[i].summary);
        fprintf(f, "\nGlobal options:\n"
                   "  --root DIR     read (and write) the system below DIR instead of /\n"
                   "  --no-color     no colour (also when NO_COLOR is set or output is not a terminal)\n"
                   "  --ascii        ASCII characters only\n"
                   "  --version      print the version\n"
                   "  --help         this help; COMMAND --help for one command\n"
                   "\nThe wizard (and --demo) also takes --lg-resolution, --lg-bit-depth, --lg-kvmfr and --lg-user\n"
                   "for its Looking Glass goal, and --vm-memory and --vm-cpus for its gaming goal.\n");
}

static bool takes(const struct command *c, int opt)
{
        for (const int *o = c->options; *o; o++)
                if (*o == opt)
                        return true;
        return false;
}

/* The wizard asks for everything else on its screens. */
static bool is_wizard_option(int opt)
{
        return opt == OPT_LG_RESOLUTION || opt == OPT_LG_KVMFR || opt == OPT_LG_USER || opt == OPT_LG_BIT_DEPTH ||
               opt == OPT_VM_MEMORY || opt == OPT_VM_CPUS;
}

static const struct command *find_command(const char *name)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

/* A whole number from 1 to max; -1 after saying what the option takes. */
static int count(const char *arg, unsigned long max, const char *option, const char *what, unsigned *ret)
{
        char *end;
        unsigned long v = strtoul(arg, &end, 10);

        if (!isdigit((unsigned char)*arg) || *end || v == 0 || v > max) {
                fprintf(stderr, "vfio-setup: %s %s: %s from 1 to %lu\n", option, arg, what, max);
                return -1;
        }
        *ret = (unsigned)v;
        return 0;
}

/* Applies one command option; -1 after printing why it is wrong. */
static int command_option(struct cli_options *opt, int c, const char *arg)
{
        struct selection *s = &opt->selection;
        enum goal g;
        int r;

        switch (c) {
        case OPT_JSON:
                opt->json = true;
                return 0;
        case OPT_LIBVIRT_XML:
                opt->libvirt_xml = true;
                return 0;
        case OPT_LIBVIRT_DOMAIN:
                if (!libvirt_domain_name_ok(arg)) {
                        fprintf(stderr, "vfio-setup: --libvirt-domain %s: a name of letters, digits and . _ + - "
                                        "(not first), at most 64\n", arg);
                        return -1;
                }
                opt->libvirt_domain = arg;
                return 0;
        case OPT_GUEST_OS:
                if (guest_os_from_name(arg, &opt->guest) < 0) {
                        fprintf(stderr, "vfio-setup: --guest-os %s: windows or linux\n", arg);
                        return -1;
                }
                opt->guest_os = arg;
                return 0;
        case OPT_SINGLE_GPU:
                if (!libvirt_domain_name_ok(arg)) {
                        fprintf(stderr, "vfio-setup: --single-gpu %s: the libvirt domain's name, of letters, digits and "
                                        ". _ + - (not first), at most 64\n", arg);
                        return -1;
                }
                free(s->single_gpu);
                s->single_gpu = strdup(arg);
                return s->single_gpu ? 0 : -1;
        case OPT_LG_RESOLUTION: {
                unsigned width, height;
                char end;

                if (sscanf(arg, "%ux%u%c", &width, &height, &end) != 2 || width < 320 || height < 200 || width > 16384 ||
                    height > 16384) {
                        fprintf(stderr, "vfio-setup: --lg-resolution %s: WIDTHxHEIGHT, e.g. 2560x1440\n", arg);
                        return -1;
                }
                s->lg.width = width;
                s->lg.height = height;
                return 0;
        }
        case OPT_VM_MEMORY:
                if (memory_size_parse(arg, &s->vm.memory_mib) < 0) {
                        fprintf(stderr, "vfio-setup: --vm-memory %s: a size such as 16G or 12288M (at least 256M)\n", arg);
                        return -1;
                }
                return 0;
        case OPT_VM_CPUS:
                return count(arg, 4096, "--vm-cpus", "a number of vCPUs", &s->vm.cpus);
        case OPT_LG_BIT_DEPTH:
                /* 10-bit colour is HDR, which Looking Glass carries in 64-bit frames. */
                if (strcmp(arg, "8") != 0 && strcmp(arg, "10") != 0) {
                        fprintf(stderr, "vfio-setup: --lg-bit-depth %s: 8 (SDR) or 10 (HDR)\n", arg);
                        return -1;
                }
                s->lg.hdr = strcmp(arg, "10") == 0;
                return 0;
        case OPT_LG_KVMFR:
                s->lg.kvmfr = true;
                return 0;
        case OPT_LG_USER:
                free(s->lg.user);
                s->lg.user = strdup(arg);
                return s->lg.user ? 0 : -1;
        case OPT_LIST:
                opt->list = true;
                return 0;
        case OPT_GPUS:
                opt->gpus_only = true;
                return 0;
        case OPT_GROUP: {
                char *end;
                unsigned long n = strtoul(arg, &end, 10);

                if (!isdigit((unsigned char)*arg) || *end || n > 65535) {
                        fprintf(stderr, "vfio-setup: --group %s: an IOMMU group number, as in /sys/kernel/iommu_groups\n",
                                arg);
                        return -1;
                }
                opt->group = (int)n;
                opt->group_set = true;
                return 0;
        }
        case 'o':
                opt->output = arg;
                return 0;
        case OPT_GPU:
                free(s->gpu);
                s->gpu = strdup(arg);
                return s->gpu ? 0 : -1;
        case OPT_EXTRA:
                return strv_push(&s->extra, arg) < 0 ? -1 : 0;
        case OPT_DISK:
                /* A disk for the guest is what the storage goal is. */
                s->goals |= 1u << GOAL_STORAGE;
                return strv_push(&s->disks, arg) < 0 ? -1 : 0;
        case OPT_GOAL:
                r = goal_from_name(arg, &g);
                if (r < 0)
                        fprintf(stderr, "vfio-setup: --goal %s: unknown goal (base, looking-glass, gaming, storage)\n", arg);
                else
                        s->goals |= 1u << g;
                return r < 0 ? -1 : 0;
        case OPT_BOOTLOADER:
                if (bootloader_from_name(arg, &s->bootloader) < 0 || s->bootloader == BOOTLOADER_UNKNOWN) {
                        fprintf(stderr, "vfio-setup: --bootloader %s: unknown boot loader\n", arg);
                        return -1;
                }
                return 0;
        case OPT_INITRAMFS:
                if (initramfs_from_name(arg, &s->initramfs) < 0 || s->initramfs == INITRAMFS_UNKNOWN) {
                        fprintf(stderr, "vfio-setup: --initramfs %s: unknown initramfs generator\n", arg);
                        return -1;
                }
                return 0;
        case OPT_RELEASE:
                s->release = true;
                return 0;
        case OPT_ALLOW_DIRTY:
                s->allow_dirty_group = true;
                return 0;
        case OPT_ALLOW_BOOT_VGA:
                s->allow_boot_vga = true;
                return 0;
        case OPT_ALLOW_HOST_DEVICE: {
                unsigned dom, bus, dev, fn;
                char full[16];

                if (pci_address_parse(arg, &dom, &bus, &dev, &fn) < 0) {
                        fprintf(stderr, "vfio-setup: --allow-host-device %s: a PCI address, e.g. 0000:0e:00.0\n", arg);
                        return -1;
                }
                pci_address_format(dom, bus, dev, fn, full);
                return strv_contains(&s->allow_host, full) || strv_push(&s->allow_host, full) >= 0 ? 0 : -1;
        }
        case OPT_IOMMU_PT:
                s->iommu_pt = true;
                return 0;
        case OPT_YES:
                opt->yes = true;
                return 0;
        case OPT_NO_REGENERATE:
                opt->no_regenerate = true;
                return 0;
        case OPT_FORCE:
                opt->force = true;
                return 0;
        case OPT_TIMEOUT:
                return count(arg, 86400, "--timeout", "seconds", &opt->timeout);
        }
        return -1;
}

static int run(int argc, char **argv, struct cli_options *opt)
{
        const struct command *cmd = NULL;
        struct sysroot *sr;
        struct strv seen = { 0 };
        bool help = false, demo = false, keep = false, only_wizard = true;
        int c, r;

        /* Options may stand before or after the command. */
        while ((c = getopt_long(argc, argv, "ho:", long_options, NULL)) != -1) {
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
                        if (command_option(opt, c, optarg) < 0 || strv_pushf(&seen, "%d", c) < 0) {
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
        if (demo && !help) {
                strv_free(&seen);
                if (optind + 1 < argc) {
                        fprintf(stderr, "vfio-setup: --demo takes one sample name\n");
                        return EXIT_USAGE;
                }
                /* A demo's copy kept before: the wizard again on it, as it was left. */
                if (optind == argc && strcmp(opt->root, "/") != 0)
                        return cli_demo_again(opt);
                return cli_demo(optind < argc ? argv[optind] : NULL, opt, keep);
        }
        if (optind < argc) {
                cmd = find_command(argv[optind]);
                if (!cmd) {
                        fprintf(stderr, "vfio-setup: unknown command '%s'\n"
                                        "hint: vfio-setup --help lists the commands; without one, the wizard starts\n",
                                argv[optind]);
                        strv_free(&seen);
                        return EXIT_USAGE;
                }
                if (optind + 1 < argc) {
                        fprintf(stderr, "vfio-setup: %s: unexpected argument '%s'\nhint: vfio-setup %s --help\n",
                                cmd->name, argv[optind + 1], cmd->name);
                        strv_free(&seen);
                        return EXIT_USAGE;
                }
        }
        if (help) {
                usage(stdout, cmd);
                strv_free(&seen);
                return EXIT_OK;
        }
        for (size_t i = 0; i < seen.n; i++)
                only_wizard = only_wizard && is_wizard_option(atoi(seen.v[i]));
        if (!cmd && !only_wizard) {
                fprintf(stderr, "vfio-setup: these options go with a command\n"
                                "hint: vfio-setup --help lists the commands and their options\n");
                strv_free(&seen);
                return EXIT_USAGE;
        }
        for (size_t i = 0; cmd && i < seen.n; i++)
                if (!takes(cmd, atoi(seen.v[i]))) {
                        fprintf(stderr, "vfio-setup: %s: option not valid for this command\nhint: vfio-setup %s --help\n",
                                cmd->name, cmd->name);
                        strv_free(&seen);
                        return EXIT_USAGE;
                }
        strv_free(&seen);
        if (cmd && opt->selection.release && (opt->selection.gpu || opt->selection.extra.n || opt->selection.single_gpu)) {
                fprintf(stderr, "vfio-setup: %s: --release takes no devices and no --single-gpu\n", cmd->name);
                return EXIT_USAGE;
        }

        /* Looking Glass's memory belongs to the user behind sudo unless --lg-user says otherwise. */
        if (cmd && !opt->selection.lg.user && getenv("SUDO_USER") && !(opt->selection.lg.user = strdup(getenv("SUDO_USER"))))
                return EXIT_USAGE;
        r = sysroot_new(opt->root, &sr);
        if (r < 0) {
                fprintf(stderr, "vfio-setup: --root %s: %s\n", opt->root, vs_strerror(r));
                return EXIT_USAGE;
        }
        /* The wizard draws through curses, which escapes what it shows; everything else prints. */
        if (cmd)
                output_guard_streams();
        r = cmd ? cmd->run(sr, opt) : cli_wizard(sr, opt);
        sysroot_free(sr);
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
                if (!command && find_command(argv[i]))
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
        return r;
}
