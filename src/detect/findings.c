/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/findings.h"
#include "vfio-setup/host_needs.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/remedy.h"

static const char *const section_titles[_SECTION_MAX] = {
        [SECTION_HARDWARE] = "Hardware",
        [SECTION_FIRMWARE] = "Firmware and IOMMU",
        [SECTION_GPUS] = "GPUs and IOMMU groups",
        [SECTION_STORAGE] = "Disks and their controllers",
        [SECTION_HOST] = "How the host is reached",
        [SECTION_BOOT] = "Distribution and boot chain",
        [SECTION_VFIO] = "Current VFIO state",
        [SECTION_DETECTION] = "Detection",
};

static const char *const severity_labels[] = {
        [SEVERITY_INFO] = "INFO",
        [SEVERITY_OK] = "OK",
        [SEVERITY_WARNING] = "WARNING",
        [SEVERITY_PROBLEM] = "PROBLEM",
};

/* Per CPU vendor: what the firmware calls the switches, and what the kernel needs. */
struct vendor_facts {
        enum cpu_vendor vendor;
        const char *virt_name;      /* the CPU virtualization feature */
        const char *virt_flag;      /* its cpuinfo flag */
        const char *firmware_hint;  /* where the switches usually are */
        const char *kernel_param;   /* needed on the command line, or NULL */
};

static const struct vendor_facts vendor_table[] = {
        { CPU_VENDOR_INTEL, "Intel VT-x", "vmx",
          "enable \"Intel Virtualization Technology\" (VT-x) and \"VT-d\" in the firmware setup, "
          "usually under Advanced > CPU Configuration or System Agent; set them to Enabled, not Auto",
          "intel_iommu=on" },
        { CPU_VENDOR_AMD, "AMD-V (SVM)", "svm",
          "enable \"SVM Mode\" and \"IOMMU\" in the firmware setup, often under Advanced > AMD CBS > NBIO; "
          "set them to Enabled, not Auto",
          NULL },
};

static const struct vendor_facts unknown_vendor = {
        CPU_VENDOR_UNKNOWN, "CPU virtualization", "vmx or svm",
        "enable CPU virtualization and the IOMMU (VT-d / AMD-Vi) in the firmware setup; set them to Enabled, not Auto",
        NULL,
};

static const struct vendor_facts *facts(const struct machine *m)
{
        for (size_t i = 0; i < sizeof(vendor_table) / sizeof(vendor_table[0]); i++)
                if (vendor_table[i].vendor == m->cpu.vendor)
                        return &vendor_table[i];
        return &unknown_vendor;
}

static const char *firmware_hint(const struct machine *m)
{
        if (m->cpu.hypervisor)
                return "inside a virtual machine there is no IOMMU unless the hypervisor provides a virtual one";
        return facts(m)->firmware_hint;
}

struct builder {
        struct findings *f;
        enum section section;
        int gpu;
        int about_gpu;
        int err;
};

static void __attribute__((format(printf, 4, 5)))
add(struct builder *b, enum severity sev, const char *advice, const char *fmt, ...)
{
        struct finding *v;
        va_list ap;
        char *text;

        if (b->err < 0)
                return;
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0) {
                va_end(ap);
                b->err = -ENOMEM;
                return;
        }
        va_end(ap);
        v = realloc(b->f->v, (b->f->n + 1) * sizeof(*v));
        if (!v || (advice && !(advice = strdup(advice)))) {
                if (v)
                        b->f->v = v;
                free(text);
                b->err = -ENOMEM;
                return;
        }
        b->f->v = v;
        v[b->f->n++] = (struct finding){ b->section, sev, text, (char *)advice, b->gpu, b->about_gpu };
}

/* What the gaming goal's pinning and hugepages work from; said only when it could be read. */
static void topology(struct builder *b, const struct machine *m)
{
        const struct cpu_topology *t = &m->topology;
        size_t e_cores = 0;

        for (size_t i = 0; i < t->n_cores; i++)
                e_cores += t->cores[i].kind == CORE_KIND_EFFICIENCY;
        if (t->n_cores && t->hybrid)
                add(b, SEVERITY_INFO, NULL, "CPU topology: %zu performance and %zu efficiency cores, %zu threads, %zu L3 "
                                            "cache%s", t->n_cores - e_cores, e_cores, t->n_threads, t->n_l3,
                    t->n_l3 == 1 ? "" : "s");
        else if (t->n_cores)
                add(b, SEVERITY_INFO, NULL, "CPU topology: %zu cores, %zu threads, %zu L3 cache%s%s", t->n_cores,
                    t->n_threads, t->n_l3, t->n_l3 == 1 ? "" : "s", t->n_l3 > 1 ? " (CCXs/CCDs)" : "");
        if (m->memory_mib)
                add(b, SEVERITY_INFO, NULL, "Memory: %lu MiB%s", m->memory_mib,
                    m->cpu.pdpe1gb ? ", 1 GiB hugepages possible" : "");
}

static void hardware(struct builder *b, const struct machine *m)
{
        const struct board_info *bd = &m->board;

        b->section = SECTION_HARDWARE;
        if (!m->cpu.known)
                add(b, SEVERITY_WARNING, NULL, "CPU: unknown (proc/cpuinfo unreadable)");
        else
                add(b, SEVERITY_INFO, NULL, "CPU: %s (%s, %u threads)", m->cpu.model ? m->cpu.model : "unknown model",
                    m->cpu.vendor_string, m->cpu.threads);
        topology(b, m);
        if (m->cpu.known && m->cpu.vendor == CPU_VENDOR_UNKNOWN)
                add(b, SEVERITY_PROBLEM, NULL, "CPU vendor %s: vfio-setup knows Intel and AMD x86 machines only",
                    m->cpu.vendor_string);
        else if (m->cpu.virt_flag)
                add(b, SEVERITY_OK, NULL, "Virtualization: %s (%s flag present)", facts(m)->virt_name, m->cpu.virt_flag);
        else if (m->cpu.known && m->cpu.hypervisor)
                add(b, SEVERITY_PROBLEM, "GPU passthrough is set up on the physical host, not inside a guest",
                    "Virtualization: %s flag missing inside this virtual machine", facts(m)->virt_name);
        else if (m->cpu.known)
                add(b, SEVERITY_PROBLEM, firmware_hint(m), "Virtualization: %s is off or missing (no %s flag)",
                    facts(m)->virt_name, facts(m)->virt_flag);
        if (m->cpu.hypervisor)
                add(b, SEVERITY_WARNING, "run vfio-setup on the physical host",
                    "Running inside a virtual machine%s%s%s", bd->sys_vendor ? " (" : "",
                    bd->sys_vendor ? bd->sys_vendor : "", bd->sys_vendor ? ")" : "");
        if (bd->vendor || bd->name)
                add(b, SEVERITY_INFO, NULL, "Board: %s%s%s%s%s", bd->vendor ? bd->vendor : "",
                    bd->vendor && bd->name ? " " : "", bd->name ? bd->name : "",
                    bd->bios_version ? ", firmware " : "", bd->bios_version ? bd->bios_version : "");
        else
                add(b, SEVERITY_INFO, NULL, "Board: unknown (no DMI data)");
        if (bd->laptop)
                add(b, SEVERITY_INFO, NULL, "Chassis: portable (SMBIOS chassis type %d): laptop graphics are usually hybrid",
                    bd->chassis_type);
}

static bool token_is(const struct machine *m, const char *key, const char *option)
{
        return kcmdline_has_option(&m->iommu.cmdline_tokens, key, option);
}

static void firmware(struct builder *b, const struct machine *m)
{
        const char *param = facts(m)->kernel_param;

        b->section = SECTION_FIRMWARE;
        if (m->iommu.firmware_table)
                add(b, SEVERITY_OK, NULL, "Firmware IOMMU table: %s present (%s enabled in the firmware)",
                    m->iommu.firmware_table, strcmp(m->iommu.firmware_table, "DMAR") == 0 ? "VT-d" : "AMD-Vi");
        else if (!m->iommu.kernel_active)
                add(b, SEVERITY_PROBLEM, firmware_hint(m), "Firmware IOMMU table missing (no DMAR or IVRS)");

        if (m->iommu.kernel_active)
                add(b, SEVERITY_OK, NULL, "Kernel IOMMU active: %zu groups", m->iommu.group_count);
        else if (token_is(m, "intel_iommu", "off") || token_is(m, "amd_iommu", "off") || token_is(m, "iommu", "off"))
                add(b, SEVERITY_PROBLEM, "remove the \"off\" parameter from the kernel command line",
                    "Kernel IOMMU off: the kernel command line turns it off");
        else if (m->iommu.firmware_table && param && !token_is(m, "intel_iommu", "on"))
                add(b, SEVERITY_PROBLEM, "vfio-setup adds it to the kernel command line when it applies a plan",
                    "Kernel IOMMU off: %s is missing from the kernel command line", param);
        else if (m->iommu.firmware_table)
                add(b, SEVERITY_PROBLEM, "check the kernel log (dmesg | grep -i -e DMAR -e AMD-Vi) for why it failed",
                    "Kernel IOMMU off although the firmware table is present");
        else
                add(b, SEVERITY_PROBLEM, "enable it in the firmware first, then reboot",
                    "Kernel IOMMU off: the firmware does not provide one");

        if (token_is(m, "amd_iommu", "on"))
                add(b, SEVERITY_WARNING, "remove it; AMD-Vi starts by itself when the firmware enables it",
                    "amd_iommu=on is not a valid value: the kernel ignores it");
        if (token_is(m, "iommu", "pt"))
                add(b, SEVERITY_INFO, NULL, "iommu=pt: host devices bypass IOMMU translation (note: breaks AMD SEV-SNP)");
        if (acs_override_shown(&m->iommu))
                add(b, SEVERITY_WARNING, "prefer a slot with its own group; the override lets devices reach each other",
                    "ACS override: %s: the IOMMU groups do not show the hardware's isolation", m->iommu.acs_evidence);
        else if (m->iommu.acs_override == ACS_OVERRIDE_IGNORED)
                add(b, SEVERITY_INFO, "remove it; the groups shown are the hardware's", "ACS override: %s",
                    m->iommu.acs_evidence);
}

static int describe(const struct pci_device *d, char **ret)
{
        char ids[16] = "????:????", vendor[PCI_LABEL_SIZE], name[PCI_LABEL_SIZE];

        if (d->ids_known)
                snprintf(ids, sizeof(ids), "%04x:%04x", d->vendor_id, d->device_id);
        return asprintf(ret, "%s %s [%s]", pci_vendor_label(d, vendor), pci_device_label(d, name), ids) < 0 ? -ENOMEM
                                                                                                          : 0;
}

/* Notes on a GPU beside its verdict: only the verdict carries the GPU in .gpu. */
static void gpu_notes(struct builder *b, const struct machine *m, const struct gpu_info *g)
{
        const struct pci_device *d = &m->devices[g->device];
        int gpu = b->gpu;

        b->gpu = -1;
        if (g->reasons & (1u << GPU_REASON_IDENTICAL))
                add(b, SEVERITY_INFO, NULL,
                    "%s shares its vendor:device id with another GPU: vfio-pci ids would take both cards, so vfio-setup "
                    "binds this one by its address (driver_override), early at boot",
                    d->address);
        if ((g->reasons & (1u << GPU_REASON_ACS_OVERRIDE)) && g->passthrough_ok)
                add(b, SEVERITY_WARNING, NULL,
                    "%s: its IOMMU group comes from the ACS override, not from the hardware's isolation: the guest may "
                    "reach the memory of devices the host keeps", d->address);
        if (g->reset_quirk)
                add(b, SEVERITY_WARNING, "install the vendor-reset module and its udev rule (github.com/gnif/vendor-reset)",
                    "%s is an AMD %s GPU: it may not reset when the guest restarts (the AMD reset bug)", d->address,
                    g->reset_quirk);
        if (d->class_known && d->class_id == 0x0302)
                add(b, SEVERITY_INFO,
                    "the guest's picture reaches a screen through Looking Glass, with a virtual display driver in "
                    "the guest, or through a remote display",
                    m->board.laptop && m->n_gpus > 1 ? "%s has no display outputs of its own: a muxless laptop GPU "
                                                       "(hybrid graphics; the panel is wired to the other GPU)"
                    : m->board.laptop ? "%s has no display outputs of its own: a muxless laptop GPU, and the panel is "
                                        "not on it, so passing it takes no display from the host"
                                      : "%s has no display outputs of its own (a 3D controller): passing it takes no "
                                        "display from the host",
                    d->address);
        else if (m->board.laptop && d->boot_vga != 1)
                add(b, SEVERITY_INFO,
                    "a guest shows its picture on a port wired to this GPU (often HDMI on laptops with a MUX); without "
                    "one, through Looking Glass with a virtual display driver in the guest",
                    "%s is a laptop's discrete GPU: the built-in panel usually stays on the other GPU", d->address);
        b->gpu = gpu;
}

const char *findings_no_group_advice(const struct machine *m)
{
        if (kcmdline_excludes_igpu(&m->iommu.cmdline_tokens))
                return "the option igfx_off (or intgpu_off) of intel_iommu= on the kernel command line leaves "
                       "integrated graphics outside the IOMMU: remove that option and reboot to pass it through";
        return "the IOMMU does not translate for it (the firmware's IOMMU table does not cover it, or the kernel "
               "leaves integrated graphics out), and vfio takes only devices in a group";
}

static void gpu_findings(struct builder *b, const struct machine *m, const struct gpu_info *g)
{
        const struct pci_device *d = &m->devices[g->device];
        char *name = NULL, *ids, *reasons;
        char group[32] = "no group";

        if (b->err < 0)
                return;
        if (describe(d, &name) < 0 || !(ids = strv_join(&g->vfio_ids, ", "))) {
                free(name);
                b->err = -ENOMEM;
                return;
        }
        if (d->iommu_group != PCI_GROUP_NONE)
                snprintf(group, sizeof(group), "group %d", d->iommu_group);
        if (g->passthrough_ok)
                add(b, SEVERITY_OK, NULL, "%s %s (%s): can be passed through, ids %s", d->address, name, group, ids);
        else if (!(reasons = strv_join(&g->reason_texts, "; ")))
                b->err = -ENOMEM;
        else {
                const char *advice = NULL;

                if (g->reasons & (1u << GPU_REASON_NO_GROUP))
                        advice = findings_no_group_advice(m);
                else if (g->reasons & (1u << GPU_REASON_DIRTY_GROUP))
                        advice = "pass the listed devices along (if the host can do without them), or move the card to "
                                 "a slot wired to the CPU. The ACS override (pcie_acs_override=, a kernel patch) only "
                                 "pretends the isolation: devices of one real group can still reach each other's "
                                 "memory. vfio-setup does not set it";
                else if ((g->reasons & (1u << GPU_REASON_BOOT_VGA)) && machine_display_on_only_gpu(m))
                        advice = "the host's only display: bound at boot it leaves the host without a screen (" REMEDY(BOOT_VGA_CHOICE)
                                 "); single-GPU mode (" REMEDY(SINGLE_GPU_CHOICE) ") hands it over only while the guest runs";
                else if (g->reasons & (1u << GPU_REASON_BOOT_VGA))
                        advice = "usually the host's display GPU; to pass it, make the other GPU primary in the firmware";
                else if (g->reasons & (1u << GPU_REASON_HOST_DISK))
                        advice = "vfio-pci takes every function of the slot: plug the disk into another port, or stop "
                                 "using it on the host";
                else if (g->reasons & (1u << GPU_REASON_HOST_WAY))
                        advice = "plug the keyboard, mouse or cable into another port, or use another screen; or, once "
                                 "there is another way in, pass it anyway (" REMEDY(HOST_WAY_CHOICE) ")";
                add(b, SEVERITY_WARNING, advice, "%s %s (%s): not ready, %s", d->address, name, group, reasons);
                free(reasons);
        }
        gpu_notes(b, m, g);
        free(ids);
        free(name);
}

static void gpus(struct builder *b, const struct machine *m)
{
        size_t best;

        b->section = SECTION_GPUS;
        if (m->n_gpus == 0) {
                add(b, SEVERITY_PROBLEM, "a GPU to pass through is needed (class 0300, 0302 or 0380)", "No GPU found");
                return;
        }
        if (machine_display_on_only_gpu(m))
                add(b, SEVERITY_WARNING,
                    "dual-GPU is the supported path; single-GPU mode (" REMEDY(SINGLE_GPU_CHOICE) ") leaves the host "
                    "without a display while the guest runs",
                    "Only one GPU");
        for (size_t i = 0; i < m->n_gpus; i++) {
                b->gpu = b->about_gpu = (int)i;
                gpu_findings(b, m, &m->gpus[i]);
        }
        b->gpu = b->about_gpu = -1;
        if (machine_recommended_gpu(m, &best) == 0)
                add(b, SEVERITY_OK, NULL, "Recommended for passthrough: %s", m->devices[m->gpus[best].device].address);
        else if (!m->iommu.kernel_active)
                add(b, SEVERITY_PROBLEM, "turn the IOMMU on (see above) and run detect again",
                    "No GPU can be judged until the kernel IOMMU is active");
        else
                add(b, SEVERITY_PROBLEM, NULL, "No GPU can be passed through as the machine is now");
}

/*
 * Each controller with disks, and whether it can go to a guest: not while the host uses a
 * disk on it (a mount, swap), not alone unless its group is its own; a disk the host does not
 * use can always go alone, through libvirt.
 */
static void controller_findings(struct builder *b, const struct machine *m, size_t dev)
{
        const struct pci_device *d = &m->devices[dev];
        char *name = NULL, *summary = NULL, *uses = NULL, *advice = NULL, group[32] = "no group";
        size_t used;

        if (describe(d, &name) < 0) {
                b->err = -ENOMEM;
                return;
        }
        if (d->iommu_group != PCI_GROUP_NONE)
                snprintf(group, sizeof(group), "group %d", d->iommu_group);
        if (controller_host_disk(m, dev, &used) == 0) {
                summary = disk_summary(&m->disks[used]);
                uses = disk_uses(&m->disks[used]);
                if (!summary || !uses)
                        b->err = -ENOMEM;
                add(b, SEVERITY_INFO, NULL, "%s %s (%s): stays with the host: %s holds %s", d->address, name, group,
                    summary, uses);
        } else if (device_alone_in_group(m, dev)) {
                if (asprintf(&advice, "give the guest the controller: " REMEDY_WITH(STORAGE_CONTROLLER) "%s" REMEDY_END, d->address) < 0) {
                        advice = NULL;
                        b->err = -ENOMEM;
                }
                add(b, SEVERITY_OK, advice, "%s %s (%s): can be passed through with its disks", d->address, name, group);
        } else
                add(b, SEVERITY_INFO, "its disks can still go to a guest one by one: " REMEDY(STORAGE_DISKS),
                    "%s %s (%s): shares its IOMMU group, cannot be passed through alone", d->address, name, group);
        free(summary);
        free(uses);
        free(advice);
        free(name);
        for (size_t i = 0; i < m->n_disks && b->err == 0; i++) {
                const struct block_disk *disk = &m->disks[i];

                if (disk->controller != dev || disk->mounts.n > 0)
                        continue;
                summary = disk_summary(disk);
                if (!summary) {
                        b->err = -ENOMEM;
                        return;
                }
                add(b, SEVERITY_INFO, NULL, "  %s: free; alone with " REMEDY_WITH(STORAGE_DISK) "%s" REMEDY_END, summary,
                    disk->by_id ? disk->by_id : disk->name);
                free(summary);
        }
}

static void storage(struct builder *b, const struct machine *m)
{
        b->section = SECTION_STORAGE;
        for (size_t i = 0; i < m->n_devices && b->err == 0; i++)
                if (m->devices[i].class_known && pci_class_is_storage(m->devices[i].class_id) && controller_has_disks(m, i))
                        controller_findings(b, m, i);
}

/* The devices a plan takes only when told to, each with what decided it. */
static void host_ways(struct builder *b, const struct machine *m)
{
        b->section = SECTION_HOST;
        for (size_t i = 0; i < m->n_devices && b->err == 0; i++) {
                const struct pci_device *d = &m->devices[i];
                char *texts;

                if (!d->host_ways)
                        continue;
                texts = strv_join(&d->host_way_texts, "; ");
                if (!texts) {
                        b->err = -ENOMEM;
                        return;
                }
                if (d->device_name)
                        add(b, SEVERITY_INFO, NULL, "%s %s: %s", d->address, d->device_name, texts);
                else
                        add(b, SEVERITY_INFO, NULL, "%s Device %04x: %s", d->address, d->device_id, texts);
                free(texts);
        }
        if (!m->net.known)
                add(b, SEVERITY_INFO, NULL, "The network routes could not be read (/proc/net/route): the network "
                                            "controllers the host is reached through are not known");
}

static void evidence_line(struct builder *b, const char *what, const char *name, const struct evidence_result *e,
                          const char *unknown_advice)
{
        char *ev = strv_join(&e->evidence, ", "), *also = strv_join(&e->also_found, ", ");

        if (!ev || !also)
                b->err = -ENOMEM;
        else if (e->kind == 0)
                add(b, SEVERITY_WARNING, unknown_advice, "%s: not recognised", what);
        else
                add(b, SEVERITY_OK, NULL, "%s: %s (%s)", what, name, ev);
        if (also && *also)
                add(b, SEVERITY_INFO, NULL, "%s: also found signs of %s", what, also);
        free(ev);
        free(also);
}

static void boot(struct builder *b, const struct machine *m)
{
        const struct distro_info *d = &m->distro;

        b->section = SECTION_BOOT;
        if (d->source)
                add(b, SEVERITY_INFO, NULL, "Distribution: %s (id %s%s%s)",
                    d->pretty_name ? d->pretty_name : d->name ? d->name : "unnamed", d->id ? d->id : "none",
                    d->id_like ? ", like " : "", d->id_like ? d->id_like : "");
        else
                add(b, SEVERITY_WARNING, NULL, "Distribution: unknown (no os-release)");
        if (d->id && strcmp(d->id, "nixos") == 0)
                add(b, SEVERITY_INFO, "vfio-setup prints a configuration.nix snippet instead of editing files",
                    "NixOS is configured declaratively");
        evidence_line(b, "Bootloader", bootloader_name((enum bootloader_kind)m->bootloader.kind), &m->bootloader,
                      "vfio-setup will print the kernel parameters for you to add by hand");
        if (m->esp.path)
                add(b, m->esp.confirmed == TRI_NO ? SEVERITY_WARNING : SEVERITY_INFO, NULL, "EFI System Partition: %s%s",
                    m->esp.path, m->esp.confirmed == TRI_YES ? " (confirmed)" : m->esp.confirmed == TRI_NO ? " (not an ESP)" : "");
        evidence_line(b, "Initramfs", initramfs_name((enum initramfs_kind)m->initramfs.kind), &m->initramfs,
                      "vfio-setup will list the modules for you to add by hand");
}

static void vfio(struct builder *b, const struct machine *m)
{
        const struct vfio_state *v = &m->vfio;

        b->section = SECTION_VFIO;
        add(b, SEVERITY_INFO, NULL, "Kernel: %s", v->kernel ? v->kernel : "unknown");
        if (v->builtin == TRI_YES)
                add(b, SEVERITY_INFO, NULL, "vfio-pci is built into the kernel: its ids belong on the kernel command line");
        else if (v->builtin == TRI_NO)
                add(b, SEVERITY_INFO, NULL, "vfio-pci is a loadable module");
        else
                add(b, SEVERITY_INFO, NULL, "Whether vfio-pci is built in is unknown (no modules.builtin for this kernel)");
        if (v->tool.present) {
                char *devices = strv_join(&v->tool.devices, " ");

                if (!devices)
                        b->err = -ENOMEM;
                else
                        add(b, SEVERITY_INFO, REMEDY(RELEASE_OR_MOVE),
                            "vfio-setup set up passthrough of %s", *devices ? devices : "no device");
                free(devices);
        }
        /* A trial: this boot is it, or the default entry started instead (failed, powered off, or a later boot). */
        if (v->tool.trial.n && m->boot_once.trial_booted)
                add(b, SEVERITY_OK, REMEDY(COMMIT), "This boot is vfio-setup's trial of the setup; later boots start the "
                    "default entry again until it is committed");
        else if (v->tool.trial.n && m->boot_once.trial_armed)
                add(b, SEVERITY_INFO, NULL, "vfio-setup's trial is pending: the next boot starts it, once");
        else if (v->tool.trial.n)
                add(b, SEVERITY_WARNING, REMEDY(TRIAL_AGAIN), "vfio-setup's trial is pending and this boot is not it: "
                    "the trial failed, was powered off, or came before this boot, and the next boot does not start it");
        if (v->n_ids == 0)
                add(b, SEVERITY_INFO, NULL, "No vfio-pci ids configured");
        for (size_t i = 0; i < v->n_ids; i++)
                add(b, SEVERITY_INFO, NULL, "vfio-pci id %s set in %s", v->ids[i].id, v->ids[i].source);
        for (size_t i = 0; i < v->bound.n; i++)
                add(b, SEVERITY_OK, NULL, "%s is bound to vfio-pci", v->bound.v[i]);
        if (v->n_ids > 0 && v->bound.n == 0)
                add(b, SEVERITY_WARNING, "reboot, then check again; if it persists, the initramfs may lack vfio-pci",
                    "vfio-pci ids are configured but no device is bound to vfio-pci");
}

int findings_build(const struct machine *m, struct findings *ret)
{
        struct findings f = { 0 };
        struct builder b = { .f = &f, .gpu = -1, .about_gpu = -1 };

        hardware(&b, m);
        firmware(&b, m);
        gpus(&b, m);
        storage(&b, m);
        host_ways(&b, m);
        boot(&b, m);
        vfio(&b, m);
        b.section = SECTION_DETECTION;
        for (size_t i = 0; i < m->warnings.n; i++)
                add(&b, SEVERITY_WARNING, NULL, "%s", m->warnings.v[i]);
        if (b.err < 0) {
                findings_free(&f);
                return b.err;
        }
        *ret = f;
        return 0;
}

int findings_word(struct findings *f, const char *const words[_REMEDY_MAX])
{
        for (size_t i = 0; i < f->n; i++) {
                int r = remedy_render_in_place(&f->v[i].text, words);

                if (r >= 0)
                        r = remedy_render_in_place(&f->v[i].advice, words);
                if (r < 0)
                        return r;
        }
        return 0;
}

void findings_free(struct findings *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->v[i].text);
                free(f->v[i].advice);
        }
        free(f->v);
        *f = (struct findings){ 0 };
}

const char *section_title(enum section s)
{
        return s >= 0 && s < _SECTION_MAX ? section_titles[s] : "";
}

const char *severity_label(enum severity s)
{
        return severity_labels[s];
}

int machine_recommended_gpu(const struct machine *m, size_t *ret)
{
        for (size_t i = 0; i < m->n_gpus; i++)
                if (m->gpus[i].passthrough_ok) {
                        *ret = i;
                        return 0;
                }
        return -ENOENT;
}
