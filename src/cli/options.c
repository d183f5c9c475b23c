/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "vfio-setup/machine.h"
#include "vfio-setup/pciaddr.h"
#include "vfio-setup/plan.h"

#define PLAN_OPTIONS OPT_GPU, OPT_EXTRA, OPT_GOAL, OPT_BOOTLOADER, OPT_INITRAMFS, OPT_RELEASE, OPT_ALLOW_DIRTY, \
        OPT_ALLOW_BOOT_VGA, OPT_ALLOW_HOST_DEVICE, OPT_IOMMU_PT, \
        OPT_LG_RESOLUTION, OPT_LG_KVMFR, OPT_LG_USER, OPT_LG_BIT_DEPTH, OPT_VM_MEMORY, OPT_VM_CPUS, OPT_DISK, OPT_SINGLE_GPU, \
        OPT_HANDOVER, OPT_NO_TRIAL, OPT_PROXMOX

const struct command cli_commands[] = {
        { "detect", cli_detect, (const int[]){ OPT_JSON, 0 }, "detect [--json]",
          "what the machine is: CPU, IOMMU, GPUs and their groups, boot chain, VFIO state" },
        { "plan", cli_plan, (const int[]){ PLAN_OPTIONS, OPT_JSON, OPT_LIBVIRT_XML, OPT_LIBVIRT_DOMAIN, OPT_GUEST_OS,
                                           OPT_ISO, OPT_DRIVERS_ISO, OPT_INSTALLED, OPT_INPUT, 'o', OPT_FORCE, 0 },
          "plan [--gpu ADDRESS] [--extra ADDRESS]... [--goal GOAL]... [--iommu-pt] [--allow-dirty-group]\n"
          "       [--allow-boot-vga] [--allow-host-device ADDRESS]... [--bootloader NAME] [--initramfs NAME]\n"
          "       [--single-gpu DOMAIN | --handover GUEST] [--no-trial] [--proxmox VMID [--guest-os windows|linux]]\n"
          "       [--json | --libvirt-xml | --libvirt-domain NAME [--guest-os windows|linux] [--iso FILE]\n"
          "        [--drivers-iso FILE] [--installed [--input /dev/input/by-id/NAME]...]\n"
          "        | --libvirt-domain NAME... -o DIR [--force]]   (one domain per GPU, each saved as DIR/NAME.xml)\n"
          "       [--goal looking-glass [--lg-resolution WxH] [--lg-bit-depth 8|10] [--lg-kvmfr] [--lg-user NAME]]\n"
          "       [--goal gaming [--vm-memory SIZE] [--vm-cpus N]] [--goal storage [--disk NAME]...]\n"
          "  plan --release [--json]",
          "exactly which lines of which files would change, and which commands would run\n"
          "      (without --gpu: what vfio-setup set up here, e.g. for --libvirt-xml after an apply)" },
        { "apply", cli_apply, (const int[]){ PLAN_OPTIONS, OPT_GUEST_OS, OPT_YES, OPT_NO_REGENERATE, OPT_TIMEOUT,
                                            OPT_JSON, 0 },
          "apply (the options of plan) [--yes] [--no-regenerate] [--timeout SECONDS] [--json]",
          "carry the plan out: back up, write each file atomically, regenerate; roll back on failure.\n"
          "      A first setup is a trial: the next boot starts it once, later boots the old setup until commit" },
        { "commit", cli_commit, (const int[]){ OPT_YES, OPT_NO_REGENERATE, OPT_TIMEOUT, OPT_JSON, 0 },
          "commit [--yes] [--no-regenerate] [--timeout SECONDS] [--json]",
          "make the trial's setup the default for every boot (undo goes back to the trial)" },
        { "trial", cli_trial, (const int[]){ OPT_YES, OPT_NO_REGENERATE, OPT_TIMEOUT, OPT_JSON, 0 },
          "trial [--yes] [--no-regenerate] [--timeout SECONDS] [--json]",
          "start the pending trial once more at the next boot (undo removes it)" },
        { "undo", cli_undo, (const int[]){ OPT_YES, OPT_NO_REGENERATE, OPT_TIMEOUT, OPT_JSON, 0 },
          "undo [--yes] [--no-regenerate] [--timeout SECONDS] [--json]",
          "show what the last apply changed and put it back, where nobody changed it since" },
        { "verify", cli_verify, (const int[]){ OPT_GPU, OPT_JSON, OPT_COMMIT, 0 },
          "verify [--gpu ADDRESS] [--json] [--commit]",
          "after the reboot: are the devices bound to vfio-pci and ready for a guest\n"
          "      (--commit: on a trial's boot, when it is, commit it)" },
        { "doctor", cli_doctor, (const int[]){ OPT_LOG, OPT_JSON, 0 }, "doctor [DOMAIN] [--log FILE]... [--json]",
          "why a guest did not start: its QEMU log (the last start), libvirt's and the kernel's, or the files\n"
          "      --log names; each known failure with its cause and its fix here", "DOMAIN" },
        { "groups", cli_groups, (const int[]){ OPT_GPUS, OPT_GROUP, OPT_JSON, 0 }, "groups [--gpus | --group N] [--json]",
          "every IOMMU group: its devices, their drivers and reset methods, the bridges above each GPU\n"
          "      and their ACS, and whether the group can go to a guest whole (--gpus: the GPUs' groups)" },
        { "rom", cli_rom, (const int[]){ OPT_GPU, 'o', OPT_FORCE, 0 }, "rom --gpu ADDRESS [-o FILE.rom] [--force]",
          "save the GPU's video BIOS, checked (signature, PCI data structure, ids, images), for <rom file=.../>" },
        { "bind", cli_bind, (const int[]){ OPT_GPU, OPT_EXTRA, OPT_ALLOW_DIRTY, OPT_ALLOW_HOST_DEVICE, 0 },
          "bind --gpu ADDRESS [--extra ADDRESS]... [--allow-dirty-group] [--allow-host-device ADDRESS]...",
          "hand the GPU (and what goes with it) to vfio-pci now, for a guest QEMU runs without libvirt;\n"
          "      refused, with what uses it named, while anything on the host does" },
        { "release", cli_release, (const int[]){ OPT_GPU, 0 }, "release --gpu ADDRESS",
          "give back what bind took, or a handover whose guest or hook was killed: each device to its driver" },
        { "snapshot", cli_snapshot, (const int[]){ 'o', OPT_LIST, 0 }, "snapshot -o FILE.tar.gz [--list]",
          "capture the files detection reads, as an archive usable with --root" },
};

#define OPTION_ROW(id, name, arg) { name, arg, NULL, OPT_##id },
const struct option cli_long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, 'o' },
        OPTIONS(OPTION_ROW)
        { 0 },
};
#undef OPTION_ROW

const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);

/* The names --bootloader, --initramfs and --goal take, from their tables. */
static void names(FILE *f)
{
        fputs("\nBoot loaders:", f);
        for (int k = BOOTLOADER_UNKNOWN + 1; k < _BOOTLOADER_MAX; k++)
                fprintf(f, " %s", bootloader_name((enum bootloader_kind)k));
        fputs("\nInitramfs generators:", f);
        for (int k = INITRAMFS_UNKNOWN + 1; k < _INITRAMFS_MAX; k++)
                fprintf(f, " %s", initramfs_name((enum initramfs_kind)k));
        fputs("\nGoals:", f);
        for (int g = 0; g < _GOAL_MAX; g++)
                fprintf(f, " %s", goal_name((enum goal)g));
        fputs("\n", f);
}

void cli_usage(FILE *f, const struct command *only)
{
        if (only) {
                fprintf(f, "Usage: vfio-setup [--root DIR] %s\n\n%s\n", only->usage, only->summary);
                if (only->run == cli_plan || only->run == cli_apply)
                        names(f);
                return;
        }
        fprintf(f, "Usage: vfio-setup [GLOBAL OPTIONS] [COMMAND [OPTIONS]]\n\n"
                   "Guides a Linux machine through VFIO GPU passthrough setup. Without a command, on a terminal,\n"
                   "a wizard walks through every step; vfio-setup --demo [NAME [--keep]] runs it on a sample machine,\n"
                   "and vfio-setup --demo NAME COMMAND ... runs a command on one.\n\n"
                   "Commands:\n");
        for (size_t i = 0; i < cli_n_commands; i++)
                fprintf(f, "  %s\n      %s\n", cli_commands[i].usage, cli_commands[i].summary);
        fprintf(f, "\nGlobal options:\n"
                   "  --root DIR     read (and write) the system below DIR instead of /\n"
                   "  --no-color     no colour (also when NO_COLOR is set or output is not a terminal)\n"
                   "  --ascii        ASCII characters only\n"
                   "  --version      print the version\n"
                   "  --help         this help; COMMAND --help for one command\n"
                   "\nThe wizard (and --demo) also takes --lg-resolution, --lg-bit-depth, --lg-kvmfr and --lg-user\n"
                   "for its Looking Glass goal, and --vm-memory and --vm-cpus for its gaming goal.\n");
}

bool cli_command_takes(const struct command *c, int opt)
{
        for (const int *o = c->options; *o; o++)
                if (*o == opt)
                        return true;
        return false;
}

bool cli_wizard_option(int opt)
{
        return opt == OPT_LG_RESOLUTION || opt == OPT_LG_KVMFR || opt == OPT_LG_USER || opt == OPT_LG_BIT_DEPTH ||
               opt == OPT_VM_MEMORY || opt == OPT_VM_CPUS;
}

const struct command *cli_find_command(const char *name)
{
        for (size_t i = 0; i < cli_n_commands; i++)
                if (strcmp(cli_commands[i].name, name) == 0)
                        return &cli_commands[i];
        return NULL;
}

/* A libvirt domain's name for an option that takes one; what else it may be, said after. */
static int set_domain(char **slot, const char *option, const char *arg, const char *or_else)
{
        if (!libvirt_domain_name_ok(arg)) {
                fprintf(stderr, "vfio-setup: %s %s: the libvirt domain's name (letters, digits and . _ + - (not first), "
                                "at most 64)%s\n", option, arg, or_else);
                return -1;
        }
        free(*slot);
        *slot = strdup(arg);
        return *slot ? 0 : -1;
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

int cli_command_option(struct cli_options *opt, int c, const char *arg)
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
                if (opt->libvirt_domain)
                        return strv_push(&opt->more_domains, arg) < 0 ? -1 : 0;
                opt->libvirt_domain = arg;
                return 0;
        case OPT_GUEST_OS:
                if (guest_os_from_name(arg, &opt->guest) < 0) {
                        fprintf(stderr, "vfio-setup: --guest-os %s: windows or linux\n", arg);
                        return -1;
                }
                opt->guest_os = arg;
                s->guest_linux = opt->guest == GUEST_LINUX;
                return 0;
        case OPT_PROXMOX: {
                char *end;
                unsigned long id = strtoul(arg, &end, 10);

                if (*arg < '1' || *arg > '9' || *end || id < 100 || id > 999999999) {
                        fprintf(stderr, "vfio-setup: --proxmox %s: a Proxmox VE guest's id, 100 to 999999999\n", arg);
                        return -1;
                }
                if (strv_contains(&s->proxmox, arg)) {
                        fprintf(stderr, "vfio-setup: --proxmox %s: named twice\n", arg);
                        return -1;
                }
                return strv_push(&s->proxmox, arg) < 0 ? -1 : 0;
        }
        case OPT_ISO:
        case OPT_DRIVERS_ISO:
                if (arg[0] != '/') {
                        fprintf(stderr, "vfio-setup: --%s %s: give the file's absolute path (libvirt opens it from "
                                        "anywhere)\n", c == OPT_ISO ? "iso" : "drivers-iso", arg);
                        return -1;
                }
                *(c == OPT_ISO ? &opt->iso : &opt->drivers_iso) = arg;
                return 0;
        case OPT_LOG: {
                char cwd[4096], *path;

                /* The file as the shell named it: relative to where the command runs. */
                if (arg[0] != '/' && !getcwd(cwd, sizeof(cwd)))
                        return -1;
                if (arg[0] == '/' ? !(path = strdup(arg)) : asprintf(&path, "%s/%s", cwd, arg) < 0)
                        return -1;
                return strv_consume(&opt->logs, path) < 0 ? -1 : 0;
        }
        case OPT_INSTALLED:
                opt->installed = true;
                return 0;
        case OPT_INPUT:
                return strv_push(&opt->inputs, arg) < 0 ? -1 : 0;
        case OPT_SINGLE_GPU:
                return set_domain(&s->single_gpu, "--single-gpu", arg, "");
        case OPT_HANDOVER:
                return set_domain(&s->handover, "--handover", arg, ", or on Proxmox VE the guest's id");
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
                /* Every GPU named goes, in the order given. */
                if (s->gpu && (strcmp(s->gpu, arg) == 0 || strv_contains(&s->more_gpus, arg))) {
                        fprintf(stderr, "vfio-setup: --gpu %s: named twice\n", arg);
                        return -1;
                }
                if (s->gpu)
                        return strv_push(&s->more_gpus, arg) < 0 ? -1 : 0;
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
        case OPT_NO_TRIAL:
                s->no_trial = true;
                return 0;
        case OPT_COMMIT:
                opt->commit = true;
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
