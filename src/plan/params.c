/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/params.h"

/*
 * Kernel parameters and early modules, by CPU vendor, kernel version and how
 * vfio-pci is built.  Sources:
 * - intel_iommu=on: Documentation/admin-guide/kernel-parameters.txt, "intel_iommu= [DMAR] Intel
 *   IOMMU driver (DMAR) option: on: enable Intel IOMMU driver". Without it the driver follows
 *   CONFIG_INTEL_IOMMU_DEFAULT_ON (drivers/iommu/intel/Kconfig, "default y" in newer kernels),
 *   which distribution kernels have set either way, so it is always added: harmless where on.
 * - AMD: nothing. drivers/iommu/amd/init.c starts AMD-Vi whenever the firmware's IVRS table is
 *   there (detect_ivrs); parse_amd_iommu_options() knows fullflush, force_enable, off,
 *   force_isolation, pgtbl_v1/v2, irtcachedis, nohugepages, v2_pgsizes_only: "amd_iommu=on" only
 *   logs "AMD-Vi: Unknown option - 'on'".
 * - iommu=pt: kernel-parameters.txt, "iommu= [X86] ... pt": host devices skip IOMMU translation.
 *   Optional (--iommu-pt); it disables AMD SEV-SNP, so never by default.
 * - vfio-pci.ids=: drivers/vfio/pci/vfio_pci.c, module parameter "ids" ("Initial PCI IDs to add
 *   to the vfio driver"); kernel-parameters.rst: "Parameters for modules which are built into the
 *   kernel need to be specified on the kernel command line". Used when modules.builtin lists
 *   vfio-pci.ko, and when that cannot be told; modprobe.d and initramfs lists do nothing for a
 *   built-in module.
 * - vfio_virqfd: folded into vfio.ko by commit e2d55709398e ("vfio: Fold vfio_virqfd.ko into
 *   vfio.ko"), merged for v6.2; naming it on newer kernels stops mkinitcpio ("module not found")
 *   and dracut ("Failed to find module").
 * - initcall_blacklist=sysfb_init: kernel-parameters.txt, "initcall_blacklist= Do not execute a
 *   comma-separated list of initcall functions". sysfb_init (drivers/firmware/sysfb.c) registers
 *   the firmware framebuffer (efifb, simpledrm) over the boot GPU's memory, after which vfio-pci
 *   cannot reserve that BAR; video=efifb:off stops only efifb. Only with --allow-boot-vga.
 */
static const struct param_rule {
        enum cpu_vendor vendor;         /* CPU_VENDOR_UNKNOWN: any vendor */
        enum { ALWAYS, WITH_PT, WITH_BOOT_VGA, WITH_CMDLINE_IDS } when;
        const char *key;
        const char *value;              /* NULL: the vfio-pci ids */
} param_rules[] = {
        { CPU_VENDOR_INTEL, ALWAYS, "intel_iommu", "on" },
        { CPU_VENDOR_UNKNOWN, WITH_PT, "iommu", "pt" },
        { CPU_VENDOR_UNKNOWN, WITH_BOOT_VGA, "initcall_blacklist", "sysfb_init" },
        { CPU_VENDOR_UNKNOWN, WITH_CMDLINE_IDS, "vfio-pci.ids", NULL },
};

#define KERNEL(major, minor) ((major) * 1000 + (minor))

static const struct module_rule {
        const char *module;
        int before;                     /* only for kernels older than this; 0 for all */
} module_rules[] = {
        { "vfio_pci", 0 },
        { "vfio", 0 },
        { "vfio_iommu_type1", 0 },
        { "vfio_virqfd", KERNEL(6, 2) },
};

int kernel_version(const char *release)
{
        unsigned major, minor;

        if (!release || sscanf(release, "%u.%u", &major, &minor) != 2)
                return -1;
        return (int)KERNEL(major, minor);
}

int wanted_params(const struct params_input *in, struct strv *ret)
{
        int r = 0;

        for (size_t i = 0; i < sizeof(param_rules) / sizeof(param_rules[0]) && r >= 0; i++) {
                const struct param_rule *p = &param_rules[i];

                if (p->vendor != CPU_VENDOR_UNKNOWN && p->vendor != in->vendor)
                        continue;
                if ((p->when == WITH_PT && !in->iommu_pt) || (p->when == WITH_BOOT_VGA && !in->boot_vga) ||
                    (p->when == WITH_CMDLINE_IDS && !in->ids_on_cmdline))
                        continue;
                r = strv_pushf(ret, "%s=%s", p->key, p->value ? p->value : in->ids);
        }
        return r;
}

int wanted_modules(int kernel, struct strv *ret)
{
        int r = 0;

        for (size_t i = 0; i < sizeof(module_rules) / sizeof(module_rules[0]) && r >= 0; i++)
                if (!module_rules[i].before || (kernel >= 0 && kernel < module_rules[i].before))
                        r = strv_push(ret, module_rules[i].module);
        return r;
}

/* The modules that bind a device of this vendor and class when vfio-pci does not come first. */
static const struct claimer {
        uint16_t vendor;                /* 0: any vendor */
        uint16_t class_id, class_mask;
        const char *modules[3];
} claimers[] = {
        { 0x10de, 0x0300, 0xff00, { "nvidia", "nouveau" } },
        { 0x1002, 0x0300, 0xff00, { "amdgpu", "radeon" } },
        { 0x8086, 0x0300, 0xff00, { "i915", "xe" } },
        { 0x0000, 0x0403, 0xffff, { "snd_hda_intel" } },
        { 0x0000, 0x0c03, 0xffff, { "xhci_pci" } },
        { 0x0000, 0x0108, 0xffff, { "nvme" } },
        { 0x0000, 0x0106, 0xffff, { "ahci" } },
        { 0x10de, 0x0c80, 0xffff, { "i2c_nvidia_gpu" } },
};

int wanted_softdeps(const struct pci_device *d, struct strv *ret)
{
        int r = 0;

        for (size_t i = 0; i < sizeof(claimers) / sizeof(claimers[0]) && r >= 0; i++) {
                const struct claimer *c = &claimers[i];

                if ((c->vendor && c->vendor != d->vendor_id) || (d->class_id & c->class_mask) != c->class_id)
                        continue;
                for (size_t k = 0; k < 3 && c->modules[k] && r >= 0; k++)
                        if (!strv_contains(ret, c->modules[k]))
                                r = strv_push(ret, c->modules[k]);
        }
        return r;
}
