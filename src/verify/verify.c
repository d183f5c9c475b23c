/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vfio-setup/params.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/handover.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/remedy.h"
#include "vfio-setup/users.h"
#include "vfio-setup/state.h"
#include "vfio-setup/verify.h"

struct checker {
        struct verify_result *v;
        int err;
};

static void __attribute__((format(printf, 4, 5)))
check(struct checker *c, bool ok, const char *fix, const char *fmt, ...)
{
        struct verify_check *n;
        va_list ap;
        char *text;

        if (c->err < 0)
                return;
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0) {
                va_end(ap);
                c->err = -ENOMEM;
                return;
        }
        va_end(ap);
        n = realloc(c->v->checks, (c->v->n + 1) * sizeof(*n));
        if (!n || (fix && !ok && !(fix = strdup(fix)))) {
                if (n)
                        c->v->checks = n;
                free(text);
                c->err = -ENOMEM;
                return;
        }
        c->v->checks = n;
        n[c->v->n++] = (struct verify_check){ text, ok ? NULL : (char *)fix, ok };
        c->v->ready &= ok;
}

static int pick_devices(const struct machine *m, const char *gpu, struct strv *ret, char **ret_reason)
{
        size_t idx;

        if (!gpu) {
                if (!m->vfio.tool.present || m->vfio.tool.devices.n == 0)
                        return asprintf(ret_reason, "vfio-setup has set up no passthrough here: " REMEDY(NAME_GPU_VERIFY)) < 0
                                       ? -ENOMEM
                                       : -VS_E_SELECTION;
                return strv_merge(ret, &m->vfio.tool.devices);
        }
        if (machine_find_device(m, gpu, &idx) < 0)
                return asprintf(ret_reason, "%s: no such PCI device on this machine", gpu) < 0 ? -ENOMEM : -VS_E_SELECTION;
        for (size_t i = 0; i < m->n_gpus; i++)
                if (m->gpus[i].device == idx) {
                        int r = strv_push(ret, m->devices[idx].address);

                        for (size_t k = 0; k < m->gpus[i].n_companions && r >= 0; k++)
                                r = strv_push(ret, m->devices[m->gpus[i].companions[k]].address);
                        return r;
                }
        return asprintf(ret_reason, "%s is not a GPU", m->devices[idx].address) < 0 ? -ENOMEM : -VS_E_SELECTION;
}

static bool bound(const struct pci_device *d)
{
        return d->driver && strcmp(d->driver, "vfio-pci") == 0;
}

/* Whether the script that hands devices over holds a record of taking the GPU's (a guest has them). */
static bool handed_over(const struct sysroot *sr, const char *gpu)
{
        char *rel = NULL;
        bool taken;

        if (asprintf(&rel, HANDOVER_RUN_DIR "/" HANDOVER_RECORD_PREFIX "%s", gpu) < 0)
                return false;
        taken = sysroot_exists(sr, rel);
        free(rel);
        return taken;
}

/*
 * Handed over (guest not NULL): the devices are with the host until the guest starts, and on
 * vfio-pci only while the script's record says a guest took them.
 */
static void devices(struct checker *c, const struct sysroot *sr, const struct machine *m, const char *guest,
                    struct strv *groups)
{
        bool taken = guest && c->v->devices.n && handed_over(sr, c->v->devices.v[0]);

        for (size_t i = 0; i < c->v->devices.n; i++) {
                const struct pci_device *d;
                size_t idx;

                if (machine_find_device(m, c->v->devices.v[i], &idx) < 0) {
                        check(c, false, "check that the card is seated and powered; run vfio-setup detect",
                              "%s is not on the PCI bus", c->v->devices.v[i]);
                        continue;
                }
                d = &m->devices[idx];
                if (guest && bound(d) && taken)
                        check(c, true, NULL, "%s is with vfio-pci: a guest has it (%s, or one started by hand)",
                              d->address, guest);
                else if (guest && bound(d)) {
                        char *fix = NULL;

                        if (asprintf(&fix, "give it back: " REMEDY_WITH(RELEASE_GPU) "%s" REMEDY_END,
                                     c->v->devices.v[0]) < 0) {
                                c->err = -ENOMEM;
                                return;
                        }
                        check(c, false, fix, "%s is on vfio-pci, though no guest took it through the hook", d->address);
                        free(fix);
                }
                else if (guest)
                        check(c, true, NULL, "%s is with the host (%s) until %s starts", d->address,
                              d->driver ? d->driver : "no driver", guest);
                else
                        check(c, bound(d),
                              "the ids or the early modules are not in effect: check the kernel command line and "
                              "that the initramfs was rebuilt (see the plan's commands), then reboot",
                              "%s is bound to %s", d->address, d->driver ? d->driver : "no driver");
                if (d->iommu_group != PCI_GROUP_NONE && c->err >= 0)
                        c->err = strv_pushf(groups, "%d", d->iommu_group);
        }
        strv_uniq(groups);
}

#define OVERRIDE_FIX "the driver_override script did not run before the driver: check the install lines of " \
        "/etc/modprobe.d/vfio-setup.conf and that the initramfs was rebuilt with /etc/vfio-setup/vfio-pci-override.sh " \
        "(see the plan's commands), then reboot"

/*
 * Devices that share their ids with one the host keeps are bound by address: their
 * driver_override must say vfio-pci, and the host's twins must stay with the host.
 */
static void by_address(struct checker *c, const struct sysroot *sr, const struct machine *m)
{
        for (size_t i = 0; i < m->n_devices && c->err >= 0; i++) {
                const struct pci_device *twin = &m->devices[i], *d = NULL;
                char path[96], *override = NULL;
                size_t idx;

                if (!twin->ids_known || strv_contains(&c->v->devices, twin->address))
                        continue;
                for (size_t k = 0; k < c->v->devices.n && !d; k++)
                        if (machine_find_device(m, c->v->devices.v[k], &idx) == 0 && m->devices[idx].ids_known &&
                            m->devices[idx].vendor_id == twin->vendor_id && m->devices[idx].device_id == twin->device_id)
                                d = &m->devices[idx];
                if (!d)
                        continue;
                snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/driver_override", d->address);
                if (sysroot_read_line(sr, path, &override) == -ENOMEM) {
                        c->err = -ENOMEM;
                        return;
                }
                /* The kernel shows an unset override as "(null)". */
                check(c, override && strcmp(override, "vfio-pci") == 0, OVERRIDE_FIX,
                      "%s (the same id as %s) is held for vfio-pci by driver_override (%s)", d->address, twin->address,
                      !override ? "unreadable" : strcmp(override, "(null)") == 0 ? "not set" : override);
                check(c, !bound(twin),
                      "vfio-pci ids take every device with the id: remove them from the kernel command line and "
                      "modprobe.d (vfio-setup plan shows what it set), then reboot",
                      "%s, with the same id, stays with the host (%s)", twin->address,
                      twin->driver ? twin->driver : "no driver");
                free(override);
        }
}

/* The modules that would claim the device: the known ones for its kind, and its driver's. */
static int device_claimers(const struct pci_device *d, struct strv *ret)
{
        int r = wanted_softdeps(d, ret);

        if (r >= 0 && d->driver_module && !strv_contains(ret, d->driver_module))
                r = strv_push(ret, d->driver_module);
        return r;
}

/* Whether a blacklist on the kernel command line names the module. */
static bool blacklisted(const struct machine *m, const char *module)
{
        static const char *const keys[] = { "rd.driver.blacklist", "module_blacklist", "modprobe.blacklist" };

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (kcmdline_has_option(&m->iommu.cmdline_tokens, keys[i], module))
                        return true;
        return false;
}

/*
 * The host's devices that share a driver with the passed ones keep it: a blacklist or an id
 * meant for the passed devices must not have taken it from them (the keyboard's controller).
 */
static void shared_drivers(struct checker *c, const struct machine *m)
{
        struct strv passed = { 0 };

        for (size_t i = 0; i < c->v->devices.n && c->err >= 0; i++) {
                size_t idx;

                if (machine_find_device(m, c->v->devices.v[i], &idx) == 0)
                        c->err = device_claimers(&m->devices[idx], &passed);
        }
        for (size_t i = 0; i < m->n_devices && c->err >= 0; i++) {
                const struct pci_device *d = &m->devices[i];
                struct strv mods = { 0 }, shared = { 0 };
                char *list;

                if (strv_contains(&c->v->devices, d->address) || !d->class_known || pci_class_is_host_side_bridge(d->class_id))
                        continue;
                c->err = device_claimers(d, &mods);
                for (size_t k = 0; k < mods.n && c->err >= 0; k++)
                        if (strv_contains(&passed, mods.v[k]))
                                c->err = strv_push(&shared, mods.v[k]);
                list = c->err >= 0 && shared.n ? strv_join(&shared, ", ") : NULL;
                if (list && d->driver && strcmp(d->driver, "vfio-pci") != 0)
                        check(c, true, NULL, "%s, which the host keeps, stays with %s", d->address, d->driver);
                else if (list && !d->driver) {
                        bool kept = false;

                        for (size_t k = 0; k < shared.n; k++)
                                kept |= blacklisted(m, shared.v[k]);
                        if (kept)
                                check(c, false, "remove the driver from the blacklist on the kernel command line (vfio-setup "
                                                "never blacklists a driver the host's devices share), then reboot",
                                      "%s, which the host keeps, has no driver: the kernel command line keeps %s from it",
                                      d->address, list);
                }
                free(list);
                strv_free(&mods);
                strv_free(&shared);
        }
        strv_free(&passed);
}

/* Every member of the groups must be with the guest (vfio-pci) or a bridge the host keeps. */
static void groups_clean(struct checker *c, const struct machine *m, const struct strv *groups)
{
        for (size_t g = 0; g < groups->n; g++) {
                int id = atoi(groups->v[g]);
                const struct iommu_group *group = machine_find_group(m, id);
                struct strv others = { 0 };
                bool passed_bound = true;

                for (size_t i = 0; group && i < group->n_devices && c->err >= 0; i++) {
                        const struct pci_device *d = &m->devices[group->devices[i]];

                        /* The devices passed have checks of their own; this one is about the others. */
                        if (strv_contains(&c->v->devices, d->address)) {
                                passed_bound &= bound(d);
                                continue;
                        }
                        if (bound(d) || (d->class_known && pci_class_is_host_side_bridge(d->class_id)))
                                continue;
                        c->err = strv_pushf(&others, "%s (%s)", d->address, d->driver ? d->driver : "no driver");
                }
                if (c->err >= 0) {
                        char *list = strv_join(&others, ", ");

                        if (!list)
                                c->err = -ENOMEM;
                        else
                                check(c, others.n == 0,
                                      "every device of the group must be bound to vfio-pci before a guest can use it",
                                      others.n       ? "IOMMU group %d also holds %s"
                                      : passed_bound ? "IOMMU group %d is all with vfio-pci%s"
                                                     : "IOMMU group %d holds nothing the host keeps%s",
                                      id, list);
                        free(list);
                }
                strv_free(&others);
        }
}

static void nodes(struct checker *c, const struct sysroot *sr, const struct strv *groups)
{
        for (size_t g = 0; g < groups->n; g++) {
                char path[64];

                snprintf(path, sizeof(path), "dev/vfio/%s", groups->v[g]);
                check(c, sysroot_exists(sr, path), "the group is not bound to vfio-pci yet; see the checks above",
                      "/%s %s", path, sysroot_exists(sr, path) ? "exists" : "is missing");
        }
}

/* A Proxmox VE guest runs vfio-setup's script only while its configuration names it. */
static void proxmox_hookscript(struct checker *c, const struct sysroot *sr, const char *vmid)
{
        char *conf = NULL, *text = NULL, *want = NULL, *volume = NULL;
        bool set = false;
        int r;

        r = asprintf(&conf, "etc/pve/qemu-server/%s.conf", vmid) < 0 ? -ENOMEM : handover_proxmox_volume(vmid, &volume);
        if (r >= 0 && asprintf(&want, "\nhookscript: %s\n", volume) < 0)
                r = -ENOMEM;
        if (r >= 0 && sysroot_read(sr, conf, 0, &text, NULL) >= 0) {
                /* The guest's own options come before its first [snapshot] section. */
                char *section = strstr(text, "\n[");
                char *line = want ? strstr(text, want + 1) : NULL;

                set = line && (line == text || line[-1] == '\n') && (!section || line < section);
        }
        if (r < 0)
                c->err = r;
        else
                check(c, set, "vfio-setup sets it again: vfio-setup apply (its plan shows the qm set)",
                      "Proxmox VE guest %s %s %s", vmid, set ? "runs" : "does not run", volume);
        free(conf);
        free(text);
        free(want);
        free(volume);
}

/* The script that hands the devices over: there, executable, and for the guest the state names. */
static void handover_hook(struct checker *c, const struct sysroot *sr, const struct machine *m, const char *guest)
{
        char *text = NULL, *line = NULL, *snippet = NULL;
        const char *path = m->vfio.tool.single_gpu.n ? SINGLE_GPU_HOOK : HANDOVER_HOOK;
        const char *mode = m->vfio.tool.single_gpu.n ? "single-GPU" : "handover";
        struct stat st;
        bool runs, names = false;
        int r;

        if (!m->vfio.tool.single_gpu.n && m->distro.proxmox_ve) {
                if (asprintf(&snippet, PROXMOX_SNIPPETS "vfio-setup-handover-%s.sh", guest) < 0) {
                        c->err = -ENOMEM;
                        return;
                }
                path = snippet;
        }
        runs = sysroot_stat(sr, path, false, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0100);
        r = sysroot_read(sr, path, 0, &text, NULL);
        if (r == -ENOMEM || (r >= 0 && asprintf(&line, "\nguest=%s\n", guest) < 0)) {
                c->err = -ENOMEM;
                free(text);
                free(snippet);
                return;
        }
        names = r >= 0 && strstr(text, line);
        check(c, runs && names,
              "vfio-setup writes it again: vfio-setup apply (its plan shows the hook), then restart libvirtd",
              "the %s hook /%s %s%s", mode, path,
              !runs ? "is missing or not executable" : names ? "is there for guest " : "names another guest than ",
              runs ? guest : "");
        if (snippet)
                proxmox_hookscript(c, sr, guest);
        free(text);
        free(line);
        free(snippet);
}

static void cmdline(struct checker *c, const struct machine *m)
{
        struct params_input in = { .vendor = m->cpu.vendor };
        struct strv want = { 0 };
        char *ids = strv_join(&m->vfio.tool.ids, ",");

        if (!ids) {
                c->err = -ENOMEM;
                return;
        }
        /* The ids went on the command line where vfio-pci is built in; everything else added is in its params. */
        in.ids = ids;
        in.ids_on_cmdline = m->vfio.builtin == TRI_YES && m->vfio.tool.ids.n > 0;
        c->err = wanted_params(&in, &want);
        /* And every parameter vfio-setup added for its boot chain (rpm-ostree's rd.driver.* and ids). */
        for (size_t i = 0; i < m->vfio.tool.params.n && c->err >= 0; i++)
                if (!strv_contains(&want, m->vfio.tool.params.v[i]))
                        c->err = strv_push(&want, m->vfio.tool.params.v[i]);
        for (size_t i = 0; i < want.n && c->err >= 0; i++) {
                char *key, *value;

                c->err = kcmdline_parse_token(want.v[i], &key, &value);
                if (c->err < 0)
                        break;
                check(c, m->iommu.cmdline && kcmdline_has(m->iommu.cmdline, key, value),
                      "the boot loader did not pass it: regenerate its configuration (see the plan) and reboot",
                      "the kernel command line %s %s", m->iommu.cmdline && kcmdline_has(m->iommu.cmdline, key, value) ? "has" : "lacks",
                      want.v[i]);
                free(key);
                free(value);
        }
        strv_free(&want);
        free(ids);
}

/* The hugepages the gaming goal reserved for the guest: all there, or memory was short at boot. */
static void hugepages(struct checker *c, const struct sysroot *sr, const struct machine *m)
{
        const struct tool_state *t = &m->vfio.tool;
        unsigned long want = t->vm.n == 2 ? strtoul(t->vm.v[0], NULL, 10) : 0, pages = 0, kib = 0;
        const char *p;
        char *info;
        int r;

        if (!want)
                return;
        r = sysroot_read(sr, "proc/meminfo", 0, &info, NULL);
        if (r == -ENOMEM) {
                c->err = r;
                return;
        }
        if (r >= 0 && (p = strstr(info, "HugePages_Total:")))
                sscanf(p, "HugePages_Total: %lu", &pages);
        if (r >= 0 && (p = strstr(info, "Hugepagesize:")))
                sscanf(p, "Hugepagesize: %lu kB", &kib);
        if (r >= 0)
                free(info);
        check(c, pages * kib >= want * 1024,
              "the kernel could not reserve them all at boot (memory short or fragmented): reserve fewer, or 1 GiB "
              "pages on the kernel command line, and reboot",
              "%lu MiB of hugepages reserved for the guest's %lu MiB", pages * kib / 1024, want);
}

/* The Looking Glass goal's shared memory: made at boot, the user's, readable and writable by them and kvm. */
static void looking_glass(struct checker *c, const struct sysroot *sr, const struct machine *m)
{
        const struct strv *lg = &m->vfio.tool.looking_glass;
        bool kvmfr, there, theirs = false;
        const char *node;
        struct stat st;
        uid_t uid;

        if (lg->n < 3)
                return;
        kvmfr = strcmp(lg->v[1], "kvmfr") == 0;
        node = kvmfr ? "dev/kvmfr0" : "dev/shm/looking-glass";
        there = sysroot_stat(sr, node, true, &st) >= 0 && (kvmfr ? S_ISCHR(st.st_mode) : S_ISREG(st.st_mode));
        if (there && user_uid(sr, lg->v[2], &uid) >= 0)
                theirs = st.st_uid == uid && (st.st_mode & 0777) == 0660;
        check(c, theirs,
              kvmfr ? "the kvmfr module makes it when loaded (modprobe kvmfr; it is listed in /etc/modules-load.d); "
                      "the udev rule gives it to the user"
                    : "systemd-tmpfiles makes it at boot, from /etc/tmpfiles.d/10-looking-glass.conf: run "
                      "systemd-tmpfiles --create --prefix=/dev/shm/looking-glass",
              "Looking Glass: /%s %s%s%s", node, !there ? "does not exist" : theirs ? "is " : "is not ", there ? lg->v[2] : "",
              there ? "'s, mode 0660" : "");
}

/* The running kernel's boot time, from proc/stat's btime line. */
static int boot_time(const struct sysroot *sr, unsigned long long *ret)
{
        char *text, *at;
        int r = sysroot_read(sr, "proc/stat", 0, &text, NULL);

        if (r < 0)
                return r;
        /* A line of its own, the first one included. */
        if (strncmp(text, "btime ", 6) == 0)
                at = text + 6;
        else if ((at = strstr(text, "\nbtime ")))
                at += 7;
        r = at && sscanf(at, "%llu", ret) == 1 ? 0 : -ENODATA;
        free(text);
        return r;
}

static enum tristate rebooted_since_setup(const struct sysroot *sr, const struct machine *m)
{
        unsigned long long booted;
        struct stat st;

        if (!m->vfio.tool.present || boot_time(sr, &booted) < 0 || sysroot_stat(sr, STATE_PATH, true, &st) < 0)
                return TRI_UNKNOWN;
        return (unsigned long long)st.st_mtime < booted ? TRI_YES : TRI_NO;
}

/* What the boot did: the IOMMU, the command line, the devices' drivers, the groups, the goals. */
static void boot_checks(struct checker *c, const struct sysroot *sr, const struct machine *m, const char *guest,
                        struct strv *groups)
{
        check(c, m->iommu.kernel_active, "enable the IOMMU in the firmware setup (and intel_iommu=on on Intel); reboot",
              "the kernel IOMMU is %s (%zu groups)", m->iommu.kernel_active ? "active" : "not active", m->iommu.group_count);
        cmdline(c, m);
        devices(c, sr, m, guest, groups);
        if (guest)
                handover_hook(c, sr, m, guest);
        else
                by_address(c, sr, m);
        if (!guest)
                shared_drivers(c, m);
        groups_clean(c, m, groups);
        if (acs_override_shown(&m->iommu) && c->err >= 0)
                c->err = strv_pushf(&c->v->notes, "ACS override: %s: the IOMMU groups are the override's, not the "
                                                  "hardware's isolation; the guest may reach the memory of devices "
                                                  "the host keeps",
                                    m->iommu.acs_evidence);
        /* A group's node appears when vfio-pci takes it: handed over, only while the guest runs. */
        if (!guest)
                nodes(c, sr, groups);
        hugepages(c, sr, m);
        looking_glass(c, sr, m);
}

int verify_machine(const struct sysroot *sr, const struct machine *m, const char *gpu, struct verify_result *ret,
                   char **ret_reason)
{
        struct verify_result v = { .ready = true };
        struct checker c = { .v = &v };
        struct strv groups = { 0 };
        /* A GPU named with --gpu is checked as bound at boot. */
        const char *guest = gpu                          ? NULL
                            : m->vfio.tool.single_gpu.n ? m->vfio.tool.single_gpu.v[0]
                            : m->vfio.tool.handover.n   ? m->vfio.tool.handover.v[0]
                                                        : NULL;

        c.err = pick_devices(m, gpu, &v.devices, ret_reason);
        if (c.err < 0) {
                verify_result_free(&v);
                return c.err;
        }
        /* Only for what vfio-setup set up itself: a GPU named with --gpu has no setup time to compare. */
        v.rebooted = gpu ? TRI_UNKNOWN : rebooted_since_setup(sr, m);
        /* Handing over changes nothing at boot but the IOMMU's parameters, which the checks below name. */
        if (v.rebooted == TRI_NO && !guest)
                check(&c, false, "reboot: the checks below describe the boot before the setup",
                      "the machine has not been rebooted since vfio-setup wrote its configuration");
        if (!gpu && m->vfio.tool.trial.n)
                v.trial = m->boot_once.trial_booted                            ? VERIFY_TRIAL_BOOT
                          : m->boot_once.trial_armed || v.rebooted == TRI_NO ? VERIFY_TRIAL_WAITING
                                                                             : VERIFY_TRIAL_NOT_UP;
        if (v.trial == VERIFY_TRIAL_BOOT) {
                check(&c, true, NULL, "this boot is the trial: its entry carries the setup's parameters (" TRIAL_PARAM ")");
                if (c.err >= 0)
                        c.err = strv_push(&v.notes, "the setup is a trial: every boot after this one starts the default "
                                                    "entry again. " REMEDY(COMMIT));
        } else if (v.trial == VERIFY_TRIAL_WAITING && v.rebooted != TRI_NO)
                check(&c, false, "reboot: the next boot starts the trial",
                      "the trial is armed and has not been booted yet");
        else if (v.trial == VERIFY_TRIAL_NOT_UP)
                check(&c, false, REMEDY(TRIAL_AGAIN), "the trial did not come up: this boot started the default entry, "
                      "which has none of the setup's parameters (the trial failed, was powered off, or came before this "
                      "boot)");
        /* Booted from the default entry, the machine is the old setup: the checks would only list its absence. */
        if (v.trial == VERIFY_NO_TRIAL || v.trial == VERIFY_TRIAL_BOOT)
                boot_checks(&c, sr, m, guest, &groups);
        strv_free(&groups);
        if (c.err < 0) {
                verify_result_free(&v);
                return c.err;
        }
        *ret = v;
        return 0;
}

int verify_result_word(struct verify_result *v, const char *const words[_REMEDY_MAX])
{
        int r = remedy_render_strv(&v->notes, words);

        for (size_t i = 0; i < v->n && r >= 0; i++) {
                r = remedy_render_in_place(&v->checks[i].text, words);
                if (r >= 0)
                        r = remedy_render_in_place(&v->checks[i].fix, words);
        }
        return r;
}

void verify_result_free(struct verify_result *v)
{
        for (size_t i = 0; i < v->n; i++) {
                free(v->checks[i].text);
                free(v->checks[i].fix);
        }
        free(v->checks);
        strv_free(&v->devices);
        strv_free(&v->notes);
}
