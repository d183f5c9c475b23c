/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "output.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/group_view.h"

static const char *or_unknown(const char *s)
{
        return s ? s : "unknown";
}

static const struct gpu_info *gpu_of(const struct machine *m, size_t device)
{
        for (size_t i = 0; i < m->n_gpus; i++)
                if (m->gpus[i].device == device)
                        return &m->gpus[i];
        return NULL;
}

static json_object *acs_json(const struct acs_info *a)
{
        json_object *o;
        char bits[64];

        if (a->present != TRI_YES)
                return a->present == TRI_NO ? json_object_new_boolean(false) : NULL;
        o = json_object_new_object();
        acs_bits_text(a->cap, bits, sizeof(bits));
        json_object_object_add(o, "capable", json_object_new_string(bits));
        acs_bits_text(a->ctrl, bits, sizeof(bits));
        json_object_object_add(o, "enabled", json_object_new_string(bits));
        return o;
}

static json_object *device_json(const struct machine *m, const struct group_member *g)
{
        const struct pci_device *d = &m->devices[g->device];
        const struct gpu_info *gpu = gpu_of(m, g->device);
        json_object *o = json_object_new_object(), *ways = json_object_new_array();
        char buf[16];

        json_object_object_add(o, "address", json_object_new_string(d->address));
        snprintf(buf, sizeof(buf), "%04x", d->class_id);
        json_object_object_add(o, "class", d->class_known ? json_object_new_string(buf) : NULL);
        json_object_object_add(o, "class_name", d->class_name ? json_object_new_string(d->class_name) : NULL);
        snprintf(buf, sizeof(buf), "%04x:%04x", d->vendor_id, d->device_id);
        json_object_object_add(o, "id", d->ids_known ? json_object_new_string(buf) : NULL);
        json_object_object_add(o, "vendor", d->vendor_name ? json_object_new_string(d->vendor_name) : NULL);
        json_object_object_add(o, "name", d->device_name ? json_object_new_string(d->device_name) : NULL);
        json_object_object_add(o, "driver", d->driver ? json_object_new_string(d->driver) : NULL);
        json_object_object_add(o, "reset_method", g->reset_method ? json_object_new_string(g->reset_method) : NULL);
        json_object_object_add(o, "acs", acs_json(&g->acs));
        json_object_object_add(o, "bridge", json_object_new_boolean(group_view_is_bridge(d)));
        json_object_object_add(o, "host_needs", g->host_needs ? json_object_new_string(g->host_needs) : NULL);
        json_object_object_add(o, "host_ways", ways);
        for (int w = 0; w < _HOST_WAY_MAX; w++)
                if (g->host_ways & (1u << w))
                        json_object_array_add(ways, json_object_new_string(host_way_name((enum host_way)w)));
        if (gpu)
                json_object_object_add(o, "gpu_passthrough_ok", json_object_new_boolean(gpu->passthrough_ok));
        return o;
}

static json_object *members_json(const struct machine *m, const struct group_entry *e)
{
        json_object *devices = json_object_new_array();

        for (size_t k = 0; k < e->n_members; k++)
                json_object_array_add(devices, device_json(m, &e->members[k]));
        return devices;
}

static json_object *override_json(const struct iommu_info *i)
{
        json_object *o;

        if (i->acs_override == ACS_OVERRIDE_NONE)
                return NULL;
        o = json_object_new_object();
        json_object_object_add(o, "state", json_object_new_string(acs_override_name(i->acs_override)));
        json_object_object_add(o, "evidence", json_object_new_string(i->acs_evidence ? i->acs_evidence : ""));
        return o;
}

static int print_json(const struct machine *m, const struct group_view *v)
{
        json_object *root = json_object_new_object(), *groups = json_object_new_array(), *gpus = json_object_new_array();

        if (!root || !groups || !gpus) {
                json_object_put(root);
                json_object_put(groups);
                json_object_put(gpus);
                return -VS_E_JSON;
        }
        for (size_t i = 0; i < v->n_groups; i++) {
                const struct group_entry *e = &v->groups[i];
                json_object *g = json_object_new_object(), *devices = members_json(m, e);

                json_object_object_add(g, "id", json_object_new_int(e->id));
                json_object_object_add(g, "whole_to_guest", json_object_new_boolean(e->whole_ok));
                json_object_object_add(g, "host_only", json_object_new_boolean(e->host_only));
                json_object_object_add(g, "host_way", json_object_new_boolean(e->host_way));
                json_object_object_add(g, "devices", devices);
                json_object_array_add(groups, g);
        }
        for (size_t i = 0; i < v->n_paths; i++) {
                const struct gpu_path *p = &v->paths[i];
                json_object *g = json_object_new_object(), *bridges = json_object_new_array();

                for (size_t k = 0; k < p->n_bridges; k++) {
                        json_object *b = json_object_new_object();

                        json_object_object_add(b, "address", json_object_new_string(m->devices[p->bridges[k]].address));
                        json_object_object_add(b, "acs", acs_json(&p->acs[k]));
                        json_object_array_add(bridges, b);
                }
                json_object_object_add(g, "address", json_object_new_string(m->devices[p->gpu].address));
                json_object_object_add(g, "bridges", bridges);
                json_object_array_add(gpus, g);
        }
        json_object_object_add(root, "acs_override", override_json(&m->iommu));
        json_object_object_add(root, "groups", groups);
        json_object_object_add(root, "ungrouped", members_json(m, &v->ungrouped));
        json_object_object_add(root, "gpus", gpus);
        return output_json(root);
}

static void acs_text(const struct acs_info *a, char *buf, size_t size)
{
        char bits[64];

        if (a->present == TRI_UNKNOWN)
                snprintf(buf, size, a->unprivileged ? "ACS unknown (the config space past 64 bytes needs root)"
                                                    : "ACS unknown (no extended config space was readable)");
        else if (a->present == TRI_NO)
                snprintf(buf, size, "no ACS");
        else {
                acs_bits_text(a->ctrl, bits, sizeof(bits));
                snprintf(buf, size, "ACS %s", a->ctrl ? bits : "capable, none enabled");
        }
}

static void print_entry(struct output *o, const struct machine *m, const struct group_entry *e)
{
        char acs[128], vendor[PCI_LABEL_SIZE], name[PCI_LABEL_SIZE];

        if (e->id == PCI_GROUP_NONE)
                output_role(o, ROLE_HEADING, "In no IOMMU group");
        else
                output_role(o, ROLE_HEADING, "IOMMU group %d", e->id);
        output_role(o, e->whole_ok ? ROLE_OK : ROLE_WARNING, "  %s\n", group_entry_verdict(e));
        for (size_t k = 0; k < e->n_members; k++) {
                const struct group_member *g = &e->members[k];
                const struct pci_device *d = &m->devices[g->device];
                const struct gpu_info *gpu = gpu_of(m, g->device);

                output_role(o, ROLE_PLAIN, "  %s  %s [%04x]  %04x:%04x  %s %s\n", d->address,
                            or_unknown(d->class_name), d->class_id, d->vendor_id, d->device_id,
                            pci_vendor_label(d, vendor), pci_device_label(d, name));
                output_role(o, ROLE_DIM, "      driver %s, reset %s", d->driver ? d->driver : "none",
                            g->reset_method ? g->reset_method : "not listed");
                if (g->acs.present == TRI_YES) {
                        acs_text(&g->acs, acs, sizeof(acs));
                        output_role(o, ROLE_DIM, ", %s", acs);
                }
                output_role(o, ROLE_DIM, "\n");
                if (g->host_needs)
                        output_role(o, ROLE_WARNING, "      the host keeps it: %s\n", g->host_needs);
                for (size_t w = 0; g->host_ways && w < d->host_way_texts.n; w++)
                        output_role(o, ROLE_WARNING, "      the host is reached through it: %s\n", d->host_way_texts.v[w]);
                if (gpu)
                        output_role(o, gpu->passthrough_ok ? ROLE_OK : ROLE_WARNING, "      GPU: %s\n",
                                    gpu->passthrough_ok ? "can be passed through"
                                                        : gpu->reason_texts.n ? gpu->reason_texts.v[0] : "not as it is");
        }
}

static void print_text(const struct machine *m, const struct group_view *v, const struct cli_options *opt)
{
        struct output o;
        char acs[128];

        output_init(&o, stdout, opt->no_color, opt->ascii);
        if (acs_override_shown(&m->iommu))
                output_role(&o, ROLE_WARNING, "ACS override: %s. The groups below are what it makes of the "
                                              "machine: devices of one real group can still reach each other's memory.\n",
                            m->iommu.acs_evidence);
        for (size_t i = 0; i < v->n_groups; i++)
                print_entry(&o, m, &v->groups[i]);
        if (v->ungrouped.n_members)
                print_entry(&o, m, &v->ungrouped);
        for (size_t i = 0; i < v->n_paths; i++) {
                const struct gpu_path *p = &v->paths[i];

                output_role(&o, ROLE_HEADING, "GPU %s", m->devices[p->gpu].address);
                if (!p->n_bridges) {
                        output_role(&o, ROLE_PLAIN, ": no bridge above it in sysfs\n");
                        continue;
                }
                output_role(&o, ROLE_PLAIN, " is behind:\n");
                for (size_t k = 0; k < p->n_bridges; k++) {
                        const struct pci_device *b = &m->devices[p->bridges[k]];
                        char name[PCI_LABEL_SIZE];

                        acs_text(&p->acs[k], acs, sizeof(acs));
                        output_role(&o, ROLE_PLAIN, "  %s  %s, %s\n", b->address, pci_device_label(b, name), acs);
                }
        }
}

int cli_groups(struct sysroot *sr, const struct cli_options *opt)
{
        enum group_filter f = opt->group_set ? GROUPS_ONE : opt->gpus_only ? GROUPS_GPUS : GROUPS_ALL;
        struct group_view *v;
        struct machine *m;
        int r;

        if (opt->group_set && opt->gpus_only) {
                fprintf(stderr, "vfio-setup: groups: --gpus and --group N choose differently; give one\n");
                return EXIT_USAGE;
        }
        r = detect_machine(sr, &m);
        if (r < 0) {
                cli_error("groups", r, NULL);
                return EXIT_USAGE;
        }
        r = group_view_build(sr, m, f, opt->group, &v);
        if (r == -ENODATA) {
                fprintf(stderr, "vfio-setup: groups: the kernel has no IOMMU groups (the IOMMU is off)\n"
                                "hint: vfio-setup detect says what to enable\n");
                machine_free(m);
                return EXIT_NOT_READY;
        }
        if (r == -ENOENT) {
                fprintf(stderr, "vfio-setup: groups: there is no IOMMU group %d\n", opt->group);
                machine_free(m);
                return EXIT_USAGE;
        }
        if (r < 0) {
                cli_error("groups", r, NULL);
                machine_free(m);
                return EXIT_USAGE;
        }
        if (opt->json)
                r = print_json(m, v);
        else
                print_text(m, v, opt);
        group_view_free(v);
        machine_free(m);
        if (r < 0) {
                cli_error("groups --json", r, NULL);
                return EXIT_USAGE;
        }
        return EXIT_OK;
}
