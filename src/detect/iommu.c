/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/kcmdline.h"

/* ACPI tables the firmware publishes when VT-d / AMD-Vi is enabled in its setup. */
static const char *const firmware_tables[] = { "DMAR", "IVRS" };

/* Command-line parameters that decide IOMMU and VFIO behaviour; a trailing '.' matches module parameters. */
static const char *const relevant_keys[] = {
        "intel_iommu", "amd_iommu", "iommu", "iommu.", "vfio_pci.", "vfio_iommu_type1.", "vfio.",
        "pcie_acs_override", "rd.driver.pre", "rd.driver.blacklist", "video", "initcall_blacklist",
        "modprobe.blacklist", "module_blacklist", "kvm.", "kvm_amd.", "kvm_intel.",
};

static bool relevant(const char *key)
{
        for (size_t i = 0; i < sizeof(relevant_keys) / sizeof(relevant_keys[0]); i++) {
                const char *want = relevant_keys[i];
                size_t len = strlen(want);
                char *head;
                bool eq;

                if (want[len - 1] != '.')
                        eq = kcmdline_key_equal(key, want);
                else {
                        head = strndup(key, len);
                        eq = head && kcmdline_key_equal(head, want);
                        free(head);
                }
                if (eq)
                        return true;
        }
        return false;
}

static int read_cmdline(const struct sysroot *sr, struct machine *m)
{
        struct strv tokens = { 0 };
        int r;

        r = sysroot_read_line(sr, "proc/cmdline", &m->iommu.cmdline);
        if (r < 0)
                return detect_warn_file(m, "proc/cmdline", r);
        r = kcmdline_split(m->iommu.cmdline, &tokens);
        for (size_t i = 0; r >= 0 && i < tokens.n; i++) {
                char *key, *value;

                /* Everything after "--" belongs to init, not to the kernel. */
                if (strcmp(tokens.v[i], "--") == 0)
                        break;
                r = kcmdline_parse_token(tokens.v[i], &key, &value);
                if (r < 0)
                        break;
                /* Of video= and pci= only what concerns passthrough: efifb, and the ACS configuration. */
                if ((relevant(key) && (!kcmdline_key_equal(key, "video") || (value && strstr(value, "efifb")))) ||
                    (kcmdline_key_equal(key, "pci") && value && strstr(value, "config_acs=")))
                        r = strv_push(&m->iommu.cmdline_tokens, tokens.v[i]);
                free(key);
                free(value);
        }
        strv_free(&tokens);
        return r;
}

/*
 * The override patch registers pcie_acs_override= and the quirk pcie_acs_overrides(), whose
 * symbol /proc/kallsyms lists on a kernel that carries it, and logs "PCIe ACS overrides
 * enabled" when the parameter is given.  pci=config_acs= came with Linux 6.11 (commit
 * 47c8846a49ba, "PCI: Extend ACS configurability").
 */
#define ACS_OVERRIDE_LOG "PCIe ACS overrides enabled"
#define ACS_OVERRIDE_SYMBOL " pcie_acs_overrides\n"
#define KALLSYMS_MAX (64u << 20)

static int evidence(struct machine *m, enum acs_override state, const char *text)
{
        m->iommu.acs_override = state;
        m->iommu.acs_evidence = strdup(text);
        return m->iommu.acs_evidence ? 0 : -ENOMEM;
}

static int acs_override(const struct sysroot *sr, struct machine *m)
{
        bool param = kcmdline_has_option(&m->iommu.cmdline_tokens, "pcie_acs_override", NULL), symbol = false;
        bool config = false;
        char *log = NULL, *release = NULL;
        unsigned major = 0, minor = 0;
        int r;

        for (size_t i = 0; i < m->iommu.cmdline_tokens.n; i++)
                config |= startswith(m->iommu.cmdline_tokens.v[i], "pci=") && strstr(m->iommu.cmdline_tokens.v[i], "config_acs=");
        /* The patch logs only when the parameter is given: without one there is nothing to look for. */
        if (!param && !config)
                return 0;
        r = sysroot_read_kernel_log(sr, 4u << 20, &log);
        if (r == -ENOMEM)
                return r;
        if (log && strstr(log, ACS_OVERRIDE_LOG)) {
                free(log);
                return evidence(m, ACS_OVERRIDE_IN_USE, "the kernel log says \"" ACS_OVERRIDE_LOG "\"");
        }
        free(log);
        if (param) {
                r = sysroot_file_contains(sr, "proc/kallsyms", ACS_OVERRIDE_SYMBOL, KALLSYMS_MAX, &symbol);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return evidence(m, ACS_OVERRIDE_CLAIMED, "pcie_acs_override= is on the kernel command line; "
                                                                 "whether this kernel carries the patch could not be read");
                if (symbol)
                        return evidence(m, ACS_OVERRIDE_IN_USE, "pcie_acs_override= is on the command line of a kernel "
                                                                "that carries the override patch");
        }
        if (config) {
                if (sysroot_read_line(sr, "proc/sys/kernel/osrelease", &release) == -ENOMEM)
                        return -ENOMEM;
                r = release && sscanf(release, "%u.%u", &major, &minor) == 2;
                free(release);
                if (!r)
                        return evidence(m, ACS_OVERRIDE_CLAIMED, "pci=config_acs= is on the kernel command line; whether "
                                                                 "this kernel knows it (Linux 6.11 and later) could not "
                                                                 "be read");
                if (major > 6 || (major == 6 && minor >= 11))
                        return evidence(m, ACS_OVERRIDE_IN_USE, "pci=config_acs= on the kernel command line sets the "
                                                                "devices' ACS by hand");
        }
        if (param)
                return evidence(m, ACS_OVERRIDE_IGNORED, "pcie_acs_override= is on the kernel command line, but this "
                                                         "kernel does not carry the override patch: it does nothing");
        return evidence(m, ACS_OVERRIDE_IGNORED, "pci=config_acs= is on the kernel command line, but this kernel "
                                                 "(older than Linux 6.11) does not know it: it does nothing");
}

int detect_iommu(const struct sysroot *sr, struct machine *m)
{
        struct strv entries = { 0 };
        int r;

        for (size_t i = 0; i < sizeof(firmware_tables) / sizeof(firmware_tables[0]); i++) {
                char path[64];

                snprintf(path, sizeof(path), "sys/firmware/acpi/tables/%s", firmware_tables[i]);
                if (sysroot_exists(sr, path)) {
                        m->iommu.firmware_table = firmware_tables[i];
                        break;
                }
        }

        r = sysroot_list(sr, "sys/class/iommu", &entries);
        if (r == -ENOMEM)
                return r;
        m->iommu.unit_count = entries.n;
        strv_free(&entries);

        r = sysroot_list(sr, "sys/kernel/iommu_groups", &entries);
        if (r == -ENOMEM)
                return r;
        m->iommu.group_count = entries.n;
        strv_free(&entries);

        /*
         * Groups are the proof that matters: units without groups mean the
         * driver bound nothing.  Some units (e.g. on virtual machines) do
         * not show in sys/class/iommu, so groups alone count as active.
         */
        m->iommu.kernel_active = m->iommu.group_count > 0;
        r = read_cmdline(sr, m);
        return r < 0 ? r : acs_override(sr, m);
}
