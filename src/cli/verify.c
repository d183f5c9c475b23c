/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "remedies.h"
#include "output.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/verify.h"

static const char *const trial_names[] = {
        [VERIFY_TRIAL_WAITING] = "waiting", [VERIFY_TRIAL_BOOT] = "booted", [VERIFY_TRIAL_NOT_UP] = "not-up",
};

static int print_json(const struct verify_result *v)
{
        json_object *root = json_object_new_object(), *checks = json_object_new_array(), *devices = json_object_new_array(),
                    *notes = json_object_new_array();

        if (!root || !checks || !devices || !notes) {
                json_object_put(root);
                json_object_put(checks);
                json_object_put(devices);
                json_object_put(notes);
                return -VS_E_JSON;
        }
        for (size_t i = 0; i < v->devices.n; i++)
                json_object_array_add(devices, json_object_new_string(v->devices.v[i]));
        for (size_t i = 0; i < v->n; i++) {
                json_object *c = json_object_new_object();

                json_object_object_add(c, "ok", json_object_new_boolean(v->checks[i].ok));
                json_object_object_add(c, "check", json_object_new_string(v->checks[i].text));
                json_object_object_add(c, "fix", v->checks[i].fix ? json_object_new_string(v->checks[i].fix) : NULL);
                json_object_array_add(checks, c);
        }
        json_object_object_add(root, "ready", json_object_new_boolean(v->ready));
        json_object_object_add(root, "trial", v->trial == VERIFY_NO_TRIAL ? NULL : json_object_new_string(trial_names[v->trial]));
        json_object_object_add(root, "rebooted", v->rebooted == TRI_UNKNOWN ? NULL : json_object_new_boolean(v->rebooted == TRI_YES));
        json_object_object_add(root, "devices", devices);
        json_object_object_add(root, "checks", checks);
        json_object_object_add(root, "notes", notes);
        for (size_t i = 0; i < v->notes.n; i++)
                json_object_array_add(notes, json_object_new_string(v->notes.v[i]));
        return output_json(root);
}

static void print_text(const struct verify_result *v, const struct cli_options *opt)
{
        struct output o;

        output_init(&o, stdout, opt->no_color, opt->ascii);
        output_role(&o, ROLE_HEADING, "Passthrough of");
        for (size_t i = 0; i < v->devices.n; i++)
                output_role(&o, ROLE_HEADING, " %s", v->devices.v[i]);
        output_role(&o, ROLE_PLAIN, "\n");
        for (size_t i = 0; i < v->n; i++) {
                output_role(&o, v->checks[i].ok ? ROLE_OK : ROLE_PROBLEM, "  %-8s", v->checks[i].ok ? "OK" : "PROBLEM");
                output_role(&o, ROLE_PLAIN, " %s\n", v->checks[i].text);
                if (v->checks[i].fix)
                        output_role(&o, ROLE_PLAIN, "           %s %s\n", output_arrow(&o), v->checks[i].fix);
        }
        for (size_t i = 0; i < v->notes.n; i++) {
                output_role(&o, ROLE_WARNING, "  %-8s", "NOTE");
                output_role(&o, ROLE_PLAIN, " %s\n", v->notes.v[i]);
        }
        if (v->trial == VERIFY_TRIAL_NOT_UP)
                output_role(&o, ROLE_PROBLEM, "The trial did not come up: this is the old setup.\n");
        else if (v->ready && v->trial == VERIFY_TRIAL_BOOT)
                output_role(&o, ROLE_OK, "Ready, on trial: the devices can be given to a virtual machine; commit to keep "
                                         "the setup.\n");
        else if (v->ready)
                output_role(&o, ROLE_OK, "Ready: the devices can be given to a virtual machine.\n");
        else if (v->trial == VERIFY_TRIAL_WAITING)
                output_role(&o, ROLE_PROBLEM, "The trial waits for the next boot: reboot, then run vfio-setup verify "
                                              "--commit.\n");
        else if (v->rebooted == TRI_NO)
                output_role(&o, ROLE_PROBLEM, "Not rebooted yet: reboot, then run vfio-setup verify again.\n");
        else
                output_role(&o, ROLE_PROBLEM, "Not ready yet.\n");
}

/* verify --commit: the trial's boot, checked ready, is committed (asked for by the option itself). */
static int commit_if_ready(struct sysroot *sr, const struct cli_options *opt, const struct verify_result *v)
{
        struct cli_options commit = *opt;

        if (v->trial == VERIFY_NO_TRIAL) {
                fprintf(stderr, "vfio-setup: verify --commit: no trial is pending: nothing to commit\n");
                return v->ready ? EXIT_OK : EXIT_NOT_READY;
        }
        if (v->trial != VERIFY_TRIAL_BOOT || !v->ready) {
                fprintf(stderr, "vfio-setup: verify --commit: %s; nothing was committed\n",
                        v->trial == VERIFY_TRIAL_BOOT ? "the trial's boot is not ready" : "this is not the trial's boot");
                return EXIT_NOT_READY;
        }
        fflush(stdout);
        commit.yes = true;
        return cli_commit(sr, &commit);
}

int cli_verify(struct sysroot *sr, const struct cli_options *opt)
{
        struct verify_result v;
        struct machine *m;
        char *reason = NULL;
        int r;

        if (opt->commit && opt->json) {
                fprintf(stderr, "vfio-setup: verify --commit prints no JSON; vfio-setup commit --json does\n");
                return EXIT_USAGE;
        }
        r = detect_machine(sr, &m);
        if (r < 0) {
                cli_error("verify", r, NULL);
                return EXIT_USAGE;
        }
        r = verify_machine(sr, m, opt->selection.gpu, &v, &reason);
        machine_free(m);
        if (r >= 0)
                r = verify_result_word(&v, cli_remedies);
        if (r < 0) {
                remedy_render_in_place(&reason, cli_remedies);
                fprintf(stderr, "vfio-setup: verify: %s\n", reason ? reason : vs_strerror(r));
                free(reason);
                /* Nothing to verify (no setup, no --gpu, or not a device) is a usage error, not a failed check. */
                return EXIT_USAGE;
        }
        if (opt->json)
                r = print_json(&v);
        else
                print_text(&v, opt);
        if (r < 0) {
                verify_result_free(&v);
                cli_error("verify --json", r, NULL);
                return EXIT_USAGE;
        }
        r = v.ready ? EXIT_OK : EXIT_NOT_READY;
        if (opt->commit)
                r = commit_if_ready(sr, opt, &v);
        verify_result_free(&v);
        return r;
}
