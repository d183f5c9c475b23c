/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "output.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/doctor.h"
#include "vfio-setup/errors.h"

static int print_json(const struct doctor_result *d)
{
        json_object *root = json_object_new_object(), *findings = json_object_new_array(),
                    *unknown = json_object_new_array(), *read = json_object_new_array();

        if (!root || !findings || !unknown || !read) {
                json_object_put(root);
                json_object_put(findings);
                json_object_put(unknown);
                json_object_put(read);
                return -VS_E_JSON;
        }
        for (size_t i = 0; i < d->n; i++) {
                const struct doctor_finding *f = &d->findings[i];
                json_object *o = json_object_new_object();

                json_object_object_add(o, "failure", json_object_new_string(doctor_failure_name(f->failure)));
                json_object_object_add(o, "source", json_object_new_string(f->source));
                json_object_object_add(o, "line", json_object_new_string(f->line));
                json_object_object_add(o, "cause", json_object_new_string(f->cause));
                json_object_object_add(o, "fix", json_object_new_string(f->fix));
                json_object_array_add(findings, o);
        }
        for (size_t i = 0; i < d->unknown.n; i++)
                json_object_array_add(unknown, json_object_new_string(d->unknown.v[i]));
        for (size_t i = 0; i < d->read.n; i++)
                json_object_array_add(read, json_object_new_string(d->read.v[i]));
        json_object_object_add(root, "findings", findings);
        json_object_object_add(root, "unrecognised", unknown);
        json_object_object_add(root, "read", read);
        return output_json(root);
}

static void print_text(const struct doctor_result *d, const struct cli_options *opt)
{
        struct output o;

        output_init(&o, stdout, opt->no_color, opt->ascii);
        output_role(&o, ROLE_HEADING, "Read:");
        for (size_t i = 0; i < d->read.n; i++)
                output_role(&o, ROLE_PLAIN, " %s", d->read.v[i]);
        output_role(&o, ROLE_PLAIN, "\n");
        for (size_t i = 0; i < d->n; i++) {
                const struct doctor_finding *f = &d->findings[i];

                output_role(&o, ROLE_PROBLEM, "\n  FAILURE  %s\n", doctor_failure_text(f->failure));
                output_role(&o, ROLE_DIM, "           %s: %s\n", f->source, f->line);
                output_role(&o, ROLE_PLAIN, "           cause: %s\n", f->cause);
                output_role(&o, ROLE_PLAIN, "           %s %s\n", output_arrow(&o), f->fix);
        }
        if (d->unknown.n) {
                output_role(&o, ROLE_WARNING, "\nNot recognised (shown as they are):\n");
                for (size_t i = 0; i < d->unknown.n; i++)
                        output_role(&o, ROLE_PLAIN, "  %s\n", d->unknown.v[i]);
        }
        if (!d->n)
                output_role(&o, ROLE_OK, "\nNo failure vfio-setup knows is in these logs.\n");
}

int cli_doctor(struct sysroot *sr, const struct cli_options *opt)
{
        struct doctor_result d;
        struct machine *m;
        char *reason = NULL;
        int r;

        if (!opt->operand && !opt->logs.n) {
                fprintf(stderr, "vfio-setup: doctor: name the guest (its libvirt domain) or a log with --log FILE\n");
                return EXIT_USAGE;
        }
        if (opt->operand && !libvirt_domain_name_ok(opt->operand)) {
                fprintf(stderr, "vfio-setup: doctor: %s: not a libvirt domain's name\n", opt->operand);
                return EXIT_USAGE;
        }
        r = detect_machine(sr, &m);
        if (r < 0) {
                cli_error("doctor", r, NULL);
                return EXIT_USAGE;
        }
        r = doctor_run(sr, m, opt->operand, &opt->logs, &d, &reason);
        machine_free(m);
        if (r < 0) {
                fprintf(stderr, "vfio-setup: doctor: %s\n", reason ? reason : vs_strerror(r));
                free(reason);
                return r == -ENOENT ? EXIT_NOT_READY : EXIT_USAGE;
        }
        if (opt->json)
                r = print_json(&d);
        else
                print_text(&d, opt);
        r = r < 0 ? EXIT_USAGE : d.n ? EXIT_NOT_READY : EXIT_OK;
        doctor_result_free(&d);
        return r;
}
