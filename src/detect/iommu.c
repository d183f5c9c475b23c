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
        "pcie_acs_override", "rd.driver.pre", "video", "initcall_blacklist",
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
                if (relevant(key) && (!kcmdline_key_equal(key, "video") || (value && strstr(value, "efifb"))))
                        r = strv_push(&m->iommu.cmdline_tokens, tokens.v[i]);
                free(key);
                free(value);
        }
        strv_free(&tokens);
        return r;
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
        return read_cmdline(sr, m);
}
