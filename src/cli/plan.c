/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "remedies.h"
#include "output.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/plan.h"

int cli_plan(struct sysroot *sr, const struct cli_options *opt)
{
        struct machine *m;
        struct plan *p;
        char *reason = NULL, *text;
        int r;

        if ((opt->libvirt_domain != NULL) + opt->libvirt_xml + opt->json > 1) {
                fprintf(stderr, "vfio-setup: plan: --json, --libvirt-xml and --libvirt-domain each print the plan their "
                                "own way; give one\n");
                return EXIT_USAGE;
        }
        if (opt->guest_os && !opt->libvirt_domain) {
                fprintf(stderr, "vfio-setup: plan: --guest-os shapes the domain of --libvirt-domain NAME; give that too\n");
                return EXIT_USAGE;
        }
        r = detect_machine(sr, &m);
        if (r < 0) {
                cli_error("plan", r, NULL);
                return EXIT_USAGE;
        }
        /* Without --gpu, what vfio-setup set up here: after an apply, plan --libvirt-xml needs nothing more. */
        if (!opt->selection.gpu && !opt->selection.release && m->vfio.tool.present) {
                struct selection sel = opt->selection;

                sel.gpu = NULL;
                sel.extra = (struct strv){ 0 };
                sel.disks = (struct strv){ 0 };
                sel.lg.user = NULL;
                sel.single_gpu = NULL;
                r = strv_merge(&sel.extra, &opt->selection.extra);
                if (r >= 0)
                        r = strv_merge(&sel.disks, &opt->selection.disks);
                if (r >= 0 && opt->selection.lg.user && !(sel.lg.user = strdup(opt->selection.lg.user)))
                        r = -ENOMEM;
                if (r >= 0 && opt->selection.single_gpu && !(sel.single_gpu = strdup(opt->selection.single_gpu)))
                        r = -ENOMEM;
                if (r >= 0)
                        r = selection_from_state(&m->vfio.tool, &sel);
                if (r >= 0)
                        r = plan_build_worded(sr, m, &sel, cli_remedies, &p, &reason);
                selection_free(&sel);
        } else
                r = plan_build_worded(sr, m, &opt->selection, cli_remedies, &p, &reason);
        machine_free(m);
        if (r < 0) {
                if (reason)
                        fprintf(stderr, "vfio-setup: plan: %s\n", reason);
                else
                        cli_error("plan", r, NULL);
                free(reason);
                /* A selection the machine cannot take is the machine's state, not a usage error. */
                return plan_refused(r) ? EXIT_NOT_READY : EXIT_USAGE;
        }
        if (opt->libvirt_domain)
                r = plan_guest_domain(sr, p, opt->libvirt_domain, opt->guest, &text);
        else
                r = opt->libvirt_xml ? plan_libvirt_xml(p, &text) : opt->json ? plan_to_json(p, &text)
                                                                               : plan_to_text(p, &text);
        plan_free(p);
        if (r < 0) {
                cli_error("plan", r, NULL);
                return EXIT_USAGE;
        }
        if (opt->json)
                output_json_text(text);
        else
                fputs(text, stdout);
        free(text);
        return EXIT_OK;
}
