/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
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

static bool ends(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The keyboards and mice of /dev/input/by-id, for a message. */
static char *input_devices(const struct sysroot *sr)
{
        struct strv names = { 0 }, events = { 0 };
        char *text = NULL;

        if (sysroot_list(sr, "dev/input/by-id", &names) >= 0)
                for (size_t i = 0; i < names.n; i++)
                        if (ends(names.v[i], "-event-kbd") || ends(names.v[i], "-event-mouse"))
                                (void)strv_pushf(&events, "/dev/input/by-id/%s", names.v[i]);
        if (events.n)
                text = strv_join(&events, " ");
        strv_free(&names);
        strv_free(&events);
        return text;
}

/* What --libvirt-domain's options name must be there: the media, and the input devices of the installed form. */
static bool domain_options_ok(const struct sysroot *sr, const struct cli_options *opt)
{
        const char *const media[] = { opt->iso, opt->drivers_iso };
        const char *const flags[] = { "--iso", "--drivers-iso" };
        char *here;

        if (opt->installed && opt->iso) {
                fprintf(stderr, "vfio-setup: plan: --installed has no installer: leave --iso out (keep --drivers-iso if "
                                "the install had it: the system disk is on virtio then)\n");
                return false;
        }
        if (opt->inputs.n && !opt->installed) {
                fprintf(stderr, "vfio-setup: plan: --input is for the installed domain (--installed); the install's "
                                "has a tablet and keyboard of its own\n");
                return false;
        }
        /* The installed form only takes the disk's bus from --drivers-iso: the file may be gone by then. */
        for (size_t i = 0; i < (opt->installed ? 0 : 2); i++)
                if (media[i] && !sysroot_exists(sr, media[i] + 1)) {
                        fprintf(stderr, "vfio-setup: plan: %s %s: no such file\n", flags[i], media[i]);
                        return false;
                }
        for (size_t i = 0; i < opt->inputs.n; i++) {
                const char *dev = opt->inputs.v[i];

                if (!startswith(dev, "/dev/input/by-id/") || strchr(dev + strlen("/dev/input/by-id/"), '/') ||
                    !sysroot_exists(sr, dev + 1)) {
                        here = input_devices(sr);
                        fprintf(stderr, "vfio-setup: plan: --input %s: not a device of /dev/input/by-id here%s%s\n", dev,
                                here ? "; these are: " : " (none is)", here ? here : "");
                        free(here);
                        return false;
                }
        }
        return true;
}

/* plan --libvirt-domain NAME... -o DIR: a domain per GPU, in the order of --gpu, each saved as DIR/NAME.xml. */
static int save_domains(const struct sysroot *sr, const struct machine *m, const struct plan *p,
                        const struct cli_options *opt)
{
        size_t guests = 1 + opt->more_domains.n;
        int r = 0;

        for (size_t i = 0; i < guests && r >= 0; i++) {
                const char *name = i ? opt->more_domains.v[i - 1] : opt->libvirt_domain;
                struct guest_domain g = { .name = name, .os = opt->guest, .installed = opt->installed,
                                          .iso = opt->iso, .drivers_iso = opt->drivers_iso, .inputs = opt->inputs };
                struct strv devices = { 0 };
                struct plan view;
                char *text = NULL, *path = NULL, *list;

                r = plan_guest_devices(m, &opt->selection, p, i, guests, &devices);
                if (r >= 0) {
                        plan_guest_view(p, &devices, i == 0, &view);
                        r = plan_guest_domain(sr, &view, &g, &text);
                }
                if (r >= 0 && asprintf(&path, "%s/%s.xml", opt->output, name) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = output_save(path, text, strlen(text), opt->force);
                list = r >= 0 ? strv_join(&devices, " ") : NULL;
                if (r >= 0)
                        printf("Saved %s: %s\n", path, list ? list : "");
                else if (r == -EEXIST)
                        fprintf(stderr, "vfio-setup: plan: %s exists; --force replaces it\n", path);
                else
                        cli_error("plan", r, path);
                free(list);
                free(path);
                free(text);
                strv_free(&devices);
        }
        if (r >= 0)
                printf("Then: sudo virsh define FILE for each.\n");
        return r < 0 ? EXIT_USAGE : EXIT_OK;
}

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
        if ((opt->iso || opt->drivers_iso || opt->installed || opt->inputs.n ||
             (opt->guest_os && !opt->selection.proxmox.n)) && !opt->libvirt_domain) {
                fprintf(stderr, "vfio-setup: plan: --guest-os, --iso, --drivers-iso, --installed and --input shape the "
                                "domain of --libvirt-domain NAME (--guest-os also the guest of --proxmox VMID); give "
                                "that too\n");
                return EXIT_USAGE;
        }
        if (opt->libvirt_domain && !domain_options_ok(sr, opt))
                return EXIT_USAGE;
        /* Several domains: one per GPU named, saved where -o says. */
        if (opt->more_domains.n && (!opt->output || 1 + opt->more_domains.n != 1 + opt->selection.more_gpus.n ||
                                    !opt->selection.gpu)) {
                fprintf(stderr, "vfio-setup: plan: several --libvirt-domain names make one domain per GPU: give as "
                                "many --gpu as names, and -o DIR for the files\n");
                return EXIT_USAGE;
        }
        if ((opt->output || opt->force) && !opt->more_domains.n) {
                fprintf(stderr, "vfio-setup: plan: -o and --force go with several --libvirt-domain names\n");
                return EXIT_USAGE;
        }
        r = detect_machine(sr, &m);
        if (r < 0) {
                cli_error("plan", r, NULL);
                return EXIT_USAGE;
        }
        if (m->distro.proxmox_ve && (opt->libvirt_domain || opt->libvirt_xml))
                fprintf(stderr, "vfio-setup: plan: note: this is Proxmox VE, whose guests are qm's, not libvirt's: "
                                "--proxmox VMID gives a VM the devices\n");
        /* Without --gpu, what vfio-setup set up here: after an apply, plan --libvirt-xml needs nothing more. */
        if (!opt->selection.gpu && !opt->selection.release && m->vfio.tool.present) {
                struct selection sel = opt->selection;

                sel.gpu = NULL;
                sel.extra = (struct strv){ 0 };
                sel.disks = (struct strv){ 0 };
                sel.lg.user = NULL;
                sel.single_gpu = NULL;
                sel.handover = NULL;
                r = strv_merge(&sel.extra, &opt->selection.extra);
                if (r >= 0)
                        r = strv_merge(&sel.disks, &opt->selection.disks);
                if (r >= 0 && opt->selection.lg.user && !(sel.lg.user = strdup(opt->selection.lg.user)))
                        r = -ENOMEM;
                if (r >= 0 && opt->selection.single_gpu && !(sel.single_gpu = strdup(opt->selection.single_gpu)))
                        r = -ENOMEM;
                if (r >= 0 && opt->selection.handover && !(sel.handover = strdup(opt->selection.handover)))
                        r = -ENOMEM;
                if (r >= 0)
                        r = selection_from_state(&m->vfio.tool, &sel);
                if (r >= 0)
                        r = plan_build_worded(sr, m, &sel, cli_remedies, &p, &reason);
                selection_free(&sel);
        } else
                r = plan_build_worded(sr, m, &opt->selection, cli_remedies, &p, &reason);
        if (r < 0) {
                machine_free(m);
                if (reason)
                        fprintf(stderr, "vfio-setup: plan: %s\n", reason);
                else
                        cli_error("plan", r, NULL);
                free(reason);
                /* A selection the machine cannot take is the machine's state, not a usage error. */
                return plan_refused(r) ? EXIT_NOT_READY : EXIT_USAGE;
        }
        if (opt->libvirt_domain && opt->installed && !opt->inputs.n && !p->lg_size_mb) {
                char *here = input_devices(sr);

                fprintf(stderr, "vfio-setup: plan: the installed domain has no emulated display or tablet: name the "
                                "keyboard and mouse it takes with --input /dev/input/by-id/NAME (both Ctrl keys hand "
                                "them back to the host)%s%s\n", here ? "; these are here: " : "", here ? here : "");
                free(here);
                plan_free(p);
                machine_free(m);
                return EXIT_USAGE;
        }
        if (opt->more_domains.n) {
                r = save_domains(sr, m, p, opt);
                plan_free(p);
                machine_free(m);
                return r;
        }
        machine_free(m);
        if (opt->libvirt_domain) {
                struct guest_domain g = { .name = opt->libvirt_domain, .os = opt->guest, .installed = opt->installed,
                                          .iso = opt->iso, .drivers_iso = opt->drivers_iso, .inputs = opt->inputs };

                r = plan_guest_domain(sr, p, &g, &text);
        }
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
