/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "remedies.h"
#include "output.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/findings.h"
#include "vfio-setup/machine_json.h"

static bool same_slot(const struct pci_device *a, const struct pci_device *b)
{
        return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}

static const char *role_of(const struct machine *m, const struct gpu_info *g, size_t dev)
{
        const struct pci_device *d = &m->devices[dev];

        if (dev == g->device)
                return "this GPU";
        for (size_t i = 0; i < g->n_companions; i++)
                if (g->companions[i] == dev)
                        return "companion";
        for (size_t i = 0; i < g->n_blockers; i++)
                if (g->blockers[i] == dev)
                        return "BLOCKS";
        if (d->class_known && pci_class_is_host_side_bridge(d->class_id))
                return "bridge, stays";
        /* In the GPU's slot but not the card's (an APU's security processor, USB): the host keeps it. */
        return same_slot(d, &m->devices[g->device]) ? "the platform's, stays" : "";
}

static void device_line(const struct output *o, const struct machine *m, const struct gpu_info *g, size_t dev)
{
        const struct pci_device *d = &m->devices[dev];
        const char *role = role_of(m, g, dev);
        char ids[16] = "????:????", cls[8] = "????", group[16] = "-", name[PCI_LABEL_SIZE];

        if (d->ids_known)
                snprintf(ids, sizeof(ids), "%04x:%04x", d->vendor_id, d->device_id);
        if (d->class_known)
                snprintf(cls, sizeof(cls), "%04x", d->class_id);
        if (d->iommu_group != PCI_GROUP_NONE)
                snprintf(group, sizeof(group), "%d", d->iommu_group);
        output_role(o, ROLE_PLAIN, "             %s  group %-4s [%s] %s  %s%s%s", d->address, group, cls, ids,
                    pci_device_label(d, name), d->driver ? "  driver " : "", d->driver ? d->driver : "");
        output_role(o, strcmp(role, "BLOCKS") == 0 ? ROLE_PROBLEM : ROLE_DIM, "%s%s\n", *role ? "  " : "", role);
}

/* The devices that decide a GPU's fate: its slot and every group they touch. */
static void gpu_details(const struct output *o, const struct machine *m, const struct gpu_info *g)
{
        const struct pci_device *gpu = &m->devices[g->device];
        size_t first = g->device, end = g->device + 1;

        while (first > 0 && same_slot(&m->devices[first - 1], gpu))
                first--;
        while (end < m->n_devices && same_slot(&m->devices[end], gpu))
                end++;
        output_role(o, ROLE_DIM, "           devices of GPU %s and its groups:\n", m->devices[g->device].address);
        for (size_t i = first; i < end; i++)
                device_line(o, m, g, i);
        for (size_t k = 0; k < m->n_groups; k++) {
                const struct iommu_group *grp = &m->groups[k];
                bool touched = false;

                for (size_t i = first; i < end; i++)
                        touched |= m->devices[i].iommu_group == grp->id;
                for (size_t i = 0; touched && i < grp->n_devices; i++)
                        if (grp->devices[i] < first || grp->devices[i] >= end)
                                device_line(o, m, g, grp->devices[i]);
        }
}

static void report(const struct output *o, const struct machine *m, const struct findings *f, const char *root)
{
        size_t problems = 0, warnings = 0;

        output_role(o, ROLE_HEADING, "vfio-setup %s: machine report for %s\n", VERSION, root);
        for (int s = 0; s < _SECTION_MAX; s++) {
                bool heading = false;

                for (size_t i = 0; i < f->n; i++) {
                        const struct finding *x = &f->v[i];

                        if ((int)x->section != s)
                                continue;
                        if (!heading) {
                                output_role(o, ROLE_HEADING, "\n%s\n", section_title((enum section)s));
                                heading = true;
                        }
                        output_role(o, severity_role(x->severity), "  %-8s", severity_label(x->severity));
                        output_role(o, ROLE_PLAIN, " %s\n", x->text);
                        if (x->advice)
                                output_role(o, ROLE_PLAIN, "           %s %s\n", output_arrow(o), x->advice);
                        problems += x->severity == SEVERITY_PROBLEM;
                        warnings += x->severity == SEVERITY_WARNING;
                        if (x->gpu >= 0)
                                gpu_details(o, m, &m->gpus[x->gpu]);
                }
        }
        output_role(o, ROLE_HEADING, "\nSummary: ");
        if (problems == 0)
                output_role(o, ROLE_OK, "ready for GPU passthrough setup");
        else
                output_role(o, ROLE_PROBLEM, "%zu problem%s to solve first", problems, problems == 1 ? "" : "s");
        output_role(o, ROLE_PLAIN, ", %zu warning%s.\n", warnings, warnings == 1 ? "" : "s");
}

int cli_detect(struct sysroot *sr, const struct cli_options *opt)
{
        struct output o;
        struct findings f;
        struct machine *m;
        char *json;
        int r;

        r = detect_machine(sr, &m);
        if (r < 0) {
                cli_error("detect", r, NULL);
                return EXIT_USAGE;
        }
        if (opt->json) {
                r = machine_to_json(m, &json);
                machine_free(m);
                if (r < 0) {
                        cli_error("detect --json", r, NULL);
                        return EXIT_USAGE;
                }
                output_json_text(json);
                free(json);
                return EXIT_OK;
        }
        r = findings_build(m, &f);
        if (r >= 0 && (r = findings_word(&f, cli_remedies)) < 0)
                findings_free(&f);
        if (r < 0) {
                machine_free(m);
                cli_error("detect", r, NULL);
                return EXIT_USAGE;
        }
        output_init(&o, stdout, opt->no_color, opt->ascii);
        report(&o, m, &f, sysroot_dir(sr));
        findings_free(&f);
        machine_free(m);
        return EXIT_OK;
}
