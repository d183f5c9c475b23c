/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

/*
 * Every long option but --help and --output (-h, -o): X(ID, NAME, ARGUMENT).  The enum and
 * getopt's table come from it; the usage texts, completions and manual page are checked
 * against it (tests/cli/test_options.c).
 */
#define OPTIONS(X) \
        X(ROOT, "root", required_argument) \
        X(NO_COLOR, "no-color", no_argument) \
        X(ASCII, "ascii", no_argument) \
        X(VERSION, "version", no_argument) \
        X(JSON, "json", no_argument) \
        X(LIST, "list", no_argument) \
        X(GPU, "gpu", required_argument) \
        X(EXTRA, "extra", required_argument) \
        X(GOAL, "goal", required_argument) \
        X(BOOTLOADER, "bootloader", required_argument) \
        X(INITRAMFS, "initramfs", required_argument) \
        X(RELEASE, "release", no_argument) \
        X(ALLOW_DIRTY, "allow-dirty-group", no_argument) \
        X(ALLOW_BOOT_VGA, "allow-boot-vga", no_argument) \
        X(ALLOW_HOST_DEVICE, "allow-host-device", required_argument) \
        X(FORCE, "force", no_argument) \
        X(IOMMU_PT, "iommu-pt", no_argument) \
        X(YES, "yes", no_argument) \
        X(NO_REGENERATE, "no-regenerate", no_argument) \
        X(TIMEOUT, "timeout", required_argument) \
        X(DEMO, "demo", no_argument) \
        X(KEEP, "keep", no_argument) \
        X(LIBVIRT_XML, "libvirt-xml", no_argument) \
        X(LIBVIRT_DOMAIN, "libvirt-domain", required_argument) \
        X(GUEST_OS, "guest-os", required_argument) \
        X(LG_RESOLUTION, "lg-resolution", required_argument) \
        X(LG_KVMFR, "lg-kvmfr", no_argument) \
        X(LG_BIT_DEPTH, "lg-bit-depth", required_argument) \
        X(LG_USER, "lg-user", required_argument) \
        X(VM_MEMORY, "vm-memory", required_argument) \
        X(VM_CPUS, "vm-cpus", required_argument) \
        X(DISK, "disk", required_argument) \
        X(GPUS, "gpus", no_argument) \
        X(GROUP, "group", required_argument) \
        X(SINGLE_GPU, "single-gpu", required_argument) \
        X(HANDOVER, "handover", required_argument) \
        X(NO_TRIAL, "no-trial", no_argument) \
        X(COMMIT, "commit", no_argument) \
        X(ISO, "iso", required_argument) \
        X(DRIVERS_ISO, "drivers-iso", required_argument) \
        X(INSTALLED, "installed", no_argument) \
        X(INPUT, "input", required_argument) \
        X(PROXMOX, "proxmox", required_argument) \
        X(LOG, "log", required_argument)

#define OPTION_ENUM(id, name, arg) OPT_##id,
enum { OPT_FIRST = 0x100 - 1, OPTIONS(OPTION_ENUM) };
#undef OPTION_ENUM

/* Which options each subcommand takes, besides the global ones. */
struct command {
        const char *name;
        int (*run)(struct sysroot *sr, const struct cli_options *opt);
        const int *options;
        const char *usage;
        const char *summary;
        const char *operand;    /* what the one word after the command names, or NULL when it takes none */
};

extern const struct command cli_commands[];
extern const size_t cli_n_commands;
/* getopt_long's table: "help" and "output" (-h, -o), then OPTIONS. */
extern const struct option cli_long_options[];

/* The whole usage, or one command's (with the names its options take). */
void cli_usage(FILE *f, const struct command *only);
const struct command *cli_find_command(const char *name);
bool cli_command_takes(const struct command *c, int opt);
/* Options the wizard takes too: it asks for everything else on its screens. */
bool cli_wizard_option(int opt);
/* Applies one command option; -1 after printing why it is wrong. */
int cli_command_option(struct cli_options *opt, int c, const char *arg);
