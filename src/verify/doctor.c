/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/doctor.h"
#include "vfio-setup/strbuf.h"

#define LOG_MAX SYSROOT_READ_MAX
#define UNKNOWN_MAX 20

static const struct {
        const char *name, *text;
} failures[_DOCTOR_MAX] = {
#define DOCTOR_ROW(id, name, text) [DOCTOR_##id] = { name, text },
        DOCTOR_FAILURES(DOCTOR_ROW)
#undef DOCTOR_ROW
};

const char *doctor_failure_name(enum doctor_failure f)
{
        return (unsigned)f < _DOCTOR_MAX ? failures[f].name : NULL;
}

const char *doctor_failure_text(enum doctor_failure f)
{
        return (unsigned)f < _DOCTOR_MAX ? failures[f].text : NULL;
}

struct doctor {
        const struct sysroot *sr;
        const struct machine *m;
        struct doctor_result *res;
        struct strv seen;       /* "failure key": one finding each */
        int err;
};

/* The first PCI address in the line ("0000:01:00.0"), or "" when it names none. */
static void address_in(const char *line, char out[16])
{
        out[0] = '\0';
        for (const char *p = line; *p; p++) {
                unsigned d, b, s, f;
                int n = 0;

                if (isxdigit((unsigned char)*p) && sscanf(p, "%4x:%2x:%2x.%1x%n", &d, &b, &s, &f, &n) == 4 && n == 12) {
                        snprintf(out, 16, "%04x:%02x:%02x.%x", d, b, s, f);
                        return;
                }
        }
}

/* The number after "group " (vfio's messages name the group so), or -1. */
static int group_in(const char *line)
{
        const char *g = strstr(line, "group ");

        return g && isdigit((unsigned char)g[6]) ? atoi(g + 6) : -1;
}

static void add(struct doctor *d, enum doctor_failure f, const char *key, const char *source, const char *line,
                char *cause, char *fix)
{
        struct doctor_finding *n;
        char *seen = NULL;

        if (d->err < 0 || !cause || !fix || asprintf(&seen, "%d %s", (int)f, key) < 0) {
                d->err = d->err < 0 ? d->err : -ENOMEM;
                free(cause);
                free(fix);
                return;
        }
        /* The last report of each failure wins: the logs run oldest first. */
        for (size_t i = 0; i < d->seen.n; i++)
                if (strcmp(d->seen.v[i], seen) == 0) {
                        struct doctor_finding *old = &d->res->findings[i];

                        free(seen);
                        free(old->source);
                        free(old->line);
                        free(old->cause);
                        free(old->fix);
                        old->source = strdup(source);
                        old->line = strdup(line);
                        old->cause = cause;
                        old->fix = fix;
                        if (!old->source || !old->line)
                                d->err = -ENOMEM;
                        return;
                }
        n = realloc(d->res->findings, (d->res->n + 1) * sizeof(*n));
        if (!n || strv_consume(&d->seen, seen) < 0) {
                if (n)
                        d->res->findings = n;
                else
                        free(seen);
                free(cause);
                free(fix);
                d->err = -ENOMEM;
                return;
        }
        d->res->findings = n;
        n[d->res->n] = (struct doctor_finding){ f, strdup(source), strdup(line), cause, fix };
        if (!n[d->res->n].source || !n[d->res->n].line)
                d->err = -ENOMEM;
        d->res->n++;
}

static char *printed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *printed(const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

/* Each device of the group that vfio-pci does not hold, with its driver. */
static char *group_members(const struct machine *m, int group)
{
        struct strbuf b = { 0 };
        char *text;

        for (size_t i = 0; i < m->n_groups; i++) {
                if (m->groups[i].id != group)
                        continue;
                for (size_t k = 0; k < m->groups[i].n_devices; k++) {
                        const struct pci_device *dev = &m->devices[m->groups[i].devices[k]];

                        if (!dev->driver || strcmp(dev->driver, "vfio-pci") != 0)
                                strbuf_printf(&b, "%s%s on %s", b.len ? ", " : "", dev->address,
                                              dev->driver ? dev->driver : "no driver");
                }
        }
        if (strbuf_finish(&b, &text) < 0)
                return NULL;
        return text;
}

static void group_not_viable(struct doctor *d, const char *source, const char *line)
{
        int group = group_in(line);
        char key[16], *members = group >= 0 ? group_members(d->m, group) : NULL;

        snprintf(key, sizeof(key), "%d", group);
        add(d, DOCTOR_GROUP_NOT_VIABLE, key, source, line,
            printed("IOMMU group %d holds devices vfio-pci does not hold%s%s", group,
                    members && *members ? " now: " : "", members ? members : ""),
            printed("bind every device of the group to vfio-pci (vfio-setup passes a GPU's functions with it; "
                    "name any other device of the group too); bridges stay with the host"));
        free(members);
}

/* Linux 6.0's vfio-pci takes the firmware's framebuffer off the GPU it binds (aperture helpers). */
static bool kernel_at_least(const struct machine *m, unsigned major, unsigned minor)
{
        unsigned a = 0, b = 0;

        return m->vfio.kernel && sscanf(m->vfio.kernel, "%u.%u", &a, &b) == 2 && (a > major || (a == major && b >= minor));
}

static void bar_reserve(struct doctor *d, const char *source, const char *line)
{
        char address[16];

        address_in(line, address);
        add(d, DOCTOR_BAR_RESERVE, address, source, line,
            printed("the firmware's framebuffer (efifb, simplefb or simpledrm) holds %s's memory: it was the boot "
                    "display", *address ? address : "the GPU"),
            kernel_at_least(d->m, 6, 0)
                    ? printed("Linux %s's vfio-pci removes the firmware framebuffer when it binds at boot, so something "
                              "took the GPU first (simpledrm, or a console on it): add initcall_blacklist=sysfb_init to "
                              "the kernel line, or boot from another GPU", d->m->vfio.kernel)
                    : printed("Linux %s predates vfio-pci removing firmware framebuffers (6.0): add video=efifb:off "
                              "(video=vesafb:off with legacy boot) to the kernel line, or boot from another GPU",
                              d->m->vfio.kernel ? d->m->vfio.kernel : "here"));
}

static void reset_bug(struct doctor *d, const char *source, const char *line)
{
        const char *for_device = strstr(line, "for device");
        const char *quirk = NULL;
        const struct pci_device *dev;
        char address[16];

        address_in(for_device ? for_device : line, address);
        dev = machine_device(d->m, address);
        for (size_t i = 0; dev && i < d->m->n_gpus; i++)
                if (&d->m->devices[d->m->gpus[i].device] == dev)
                        quirk = d->m->gpus[i].reset_quirk;
        add(d, DOCTOR_RESET_BUG, address, source, line,
            printed("%s answers nothing (its configuration space reads as all ones): a guest left it in a state "
                    "only a reset brings back, and it has no reset that works", *address ? address : "the device"),
            quirk ? printed("%s is an AMD %s, which needs vendor-reset: install its DKMS module, load it at boot, and "
                            "power the machine off and on now", address, quirk)
                  : printed("power the machine off and on (a reboot may not do it); shut the guest down cleanly rather "
                            "than destroying it"));
}

static void group_busy(struct doctor *d, const char *source, const char *line)
{
        int group = group_in(line);
        char key[16];

        if (group < 0 && strstr(line, "/dev/vfio/"))
                group = atoi(strstr(line, "/dev/vfio/") + strlen("/dev/vfio/"));
        snprintf(key, sizeof(key), "%d", group);
        add(d, DOCTOR_GROUP_BUSY, key, source, line,
            printed("another process holds IOMMU group %d: another guest with a device of that group, or a "
                    "QEMU that did not exit", group),
            printed("stop the other guest (virsh list shows those running); fuser -v /dev/vfio/%d names the "
                    "process", group));
}

static void not_on_vfio(struct doctor *d, const char *source, const char *line)
{
        char address[16];
        const struct pci_device *dev;

        address_in(line, address);
        dev = machine_device(d->m, address);
        add(d, DOCTOR_NOT_ON_VFIO, address, source, line,
            printed("%s is %s%s, so its group has no /dev/vfio node", *address ? address : "the device",
                    dev && dev->driver ? "on " : "on no driver", dev && dev->driver ? dev->driver : ""),
            printed("with libvirt, managed='yes' on the hostdev lets it move the device; else have vfio-setup "
                    "bind it at boot, and reboot"));
}

static void no_iommu(struct doctor *d, const char *source, const char *line)
{
        add(d, DOCTOR_NO_IOMMU, "", source, line, printed("the kernel runs without an IOMMU: vfio has nothing to "
                                                           "put the device behind"),
            printed("enable the IOMMU in the firmware (Enabled, not Auto) and on the kernel line (vfio-setup plan "
                    "adds what this CPU needs), then reboot"));
}

static void hugepages(struct doctor *d, const char *source, const char *line)
{
        char *meminfo = NULL, *free_line, *total_line;
        unsigned long free_pages = 0, total = 0;

        if (sysroot_read(d->sr, "proc/meminfo", 64 * 1024, &meminfo, NULL) >= 0) {
                free_line = strstr(meminfo, "HugePages_Free:");
                total_line = strstr(meminfo, "HugePages_Total:");
                if (free_line)
                        free_pages = strtoul(free_line + strlen("HugePages_Free:"), NULL, 10);
                if (total_line)
                        total = strtoul(total_line + strlen("HugePages_Total:"), NULL, 10);
        }
        free(meminfo);
        add(d, DOCTOR_HUGEPAGES, "", source, line,
            printed("the guest's memory is backed by hugepages and there were too few free: %lu of %lu are free now",
                    free_pages, total),
            printed("reserve them at boot (vfio-setup's gaming goal: hugepages= on the kernel line, then reboot), "
                    "or give the guest less memory; pages reserved after boot fragment and run short"));
}

static void kvm_denied(struct doctor *d, const char *source, const char *line)
{
        add(d, DOCTOR_KVM_DENIED, "", source, line,
            printed("QEMU's user may not open /dev/kvm"),
            printed("/dev/kvm is the kvm group's, mode 0660 (udev sets it): put the user that runs QEMU in that "
                    "group, or use qemu:///system, whose QEMU runs as a user that has it"));
}

static void shm_denied(struct doctor *d, const char *source, const char *line)
{
        bool kvmfr = strstr(line, "kvmfr") != NULL;

        add(d, DOCTOR_SHM_DENIED, kvmfr ? "kvmfr" : "shm", source, line,
            printed(kvmfr ? "QEMU may not open /dev/kvmfr0: libvirt lets its QEMU open only the devices in "
                            "cgroup_device_acl"
                          : "QEMU may not open /dev/shm/looking-glass: the file is another user's, or its SELinux "
                            "label is not one QEMU may use"),
            printed(kvmfr ? "add \"/dev/kvmfr0\" to cgroup_device_acl in /etc/libvirt/qemu.conf (keep its default "
                            "entries) and restart libvirtd"
                          : "vfio-setup's tmpfiles rule makes it the client user's, group kvm, 0660 "
                            "(systemd-tmpfiles --create --prefix=/dev/shm/looking-glass); with SELinux enforcing, "
                            "give it QEMU's label (chcon -t svirt_tmpfs_t /dev/shm/looking-glass)"));
}

/* Core phrases, as QEMU, libvirt and the kernel write them whatever their prefix. */
static const struct pattern {
        const char *phrase, *also;
        void (*explain)(struct doctor *d, const char *source, const char *line);
} patterns[] = {
        { "is not viable", "group", group_not_viable },
        { "can't reserve [mem", "BAR", bar_reserve },
        { "Unknown PCI header type", NULL, reset_bug },
        { "Device or resource busy", "/dev/vfio/", group_busy },
        { "No such file or directory", "/dev/vfio/", not_on_vfio },
        { "No available IOMMU models", NULL, no_iommu },
        { "unable to map backing store for guest RAM", NULL, hugepages },
        { "Could not access KVM kernel module", NULL, kvm_denied },
        { "failed to initialize kvm: Permission denied", NULL, kvm_denied },
        { "/dev/shm/looking-glass", "Permission denied", shm_denied },
        { "/dev/kvmfr0", "Operation not permitted", shm_denied },
        { "/dev/kvmfr0", "Permission denied", shm_denied },
};

static bool error_like(const char *line)
{
        return strcasestr(line, "error") || strcasestr(line, "failed");
}

/* From the last line holding mark on (a QEMU log's "starting up": the last start), or all of it. */
static int scan(struct doctor *d, const char *rel, const char *mark, bool unknown_too)
{
        char *text, *start, *line, *prev, *save = NULL, source[512];
        size_t no = 1;
        int r = sysroot_read(d->sr, rel, LOG_MAX, &text, NULL);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = strv_pushf(&d->res->read, "/%s", rel);
        start = text;
        if (mark)
                for (char *p = text; (p = strstr(p, mark)); p++) {
                        char *bol = p;

                        while (bol > text && bol[-1] != '\n')
                                bol--;
                        start = bol;
                }
        for (char *p = text; p < start; p++)
                no += *p == '\n';
        prev = start;
        for (line = strtok_r(start, "\n", &save); line && r >= 0 && d->err >= 0; line = strtok_r(NULL, "\n", &save)) {
                bool known = false;

                /* strtok_r skips empty lines and ends each line with a NUL: both were newlines. */
                for (const char *p = prev; p < line; p++)
                        no += *p == '\n' || *p == '\0';
                prev = line;
                snprintf(source, sizeof(source), "/%s:%zu", rel, no);
                for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]) && !known; i++)
                        if (strstr(line, patterns[i].phrase) && (!patterns[i].also || strstr(line, patterns[i].also))) {
                                patterns[i].explain(d, source, line);
                                known = true;
                        }
                if (!known && unknown_too && error_like(line) && d->res->unknown.n < UNKNOWN_MAX)
                        r = strv_pushf(&d->res->unknown, "%s: %s", source, line);
        }
        free(text);
        return r < 0 ? r : d->err;
}

/* "0x0b"-style attribute values of an <address> element, in either quotes. */
static bool attr(const char *element, const char *name, unsigned *ret)
{
        char pattern[32];
        const char *p;

        for (int q = 0; q < 2; q++) {
                snprintf(pattern, sizeof(pattern), " %s=%c", name, q ? '"' : '\'');
                p = strstr(element, pattern);
                if (p && sscanf(p + strlen(pattern), "%x", ret) == 1)
                        return true;
        }
        return false;
}

/*
 * NVIDIA's drivers before R465 stop with Code 43 in a guest that shows it runs on KVM; the
 * domain hides that with <kvm><hidden state='on'/></kvm>.
 */
static int nvidia_hidden(struct doctor *d, const char *domain)
{
        char rel[256], *xml;
        int r;

        snprintf(rel, sizeof(rel), "etc/libvirt/qemu/%s.xml", domain);
        r = sysroot_read(d->sr, rel, 1024 * 1024, &xml, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = strv_pushf(&d->res->read, "/%s", rel);
        for (const char *h = xml; r >= 0 && (h = strstr(h, "<hostdev")); h++) {
                const char *a = strstr(h, "<address"), *end = strstr(h, "</hostdev>");
                unsigned dom = 0, bus, slot, fn;
                char address[16], *element;
                const struct pci_device *dev;

                if (!a || (end && a > end) || !(element = strndup(a, strcspn(a, ">")))) {
                        r = a ? -ENOMEM : 0;
                        continue;
                }
                if (attr(element, "bus", &bus) && attr(element, "slot", &slot) && attr(element, "function", &fn)) {
                        attr(element, "domain", &dom);
                        snprintf(address, sizeof(address), "%04x:%02x:%02x.%x", dom, bus, slot, fn);
                        dev = machine_device(d->m, address);
                        if (dev && dev->vendor_id == 0x10de && dev->class_id >> 8 == 0x03 &&
                            !strstr(xml, "<hidden state='on'/>") && !strstr(xml, "<hidden state=\"on\"/>"))
                                add(d, DOCTOR_NVIDIA_HIDDEN, address, d->res->read.v[d->res->read.n - 1],
                                    "<kvm><hidden state='on'/></kvm> is not set",
                                    printed("%s is NVIDIA's: its Windows drivers before R465 (2021) stop with Code 43 "
                                            "when the guest shows it runs on KVM", address),
                                    printed("with an older driver, add <kvm><hidden state='on'/></kvm> to the "
                                            "domain's <features> (and <vendor_id state='on' value='any12chars'/> in "
                                            "<hyperv>); with R465 and later neither is needed"));
                }
                free(element);
        }
        free(xml);
        return r < 0 ? r : d->err;
}

int doctor_run(const struct sysroot *sr, const struct machine *m, const char *domain, const struct strv *logs,
               struct doctor_result *ret, char **ret_reason)
{
        static const char *const daemons[] = { "var/log/libvirt/libvirtd.log", "var/log/libvirt/virtqemud.log" };
        static const char *const kernel[] = { "var/log/kern.log", "var/log/messages" };
        struct doctor_result res = { 0 };
        struct doctor d = { .sr = sr, .m = m, .res = &res };
        char rel[512];
        int r = 0;

        if (domain) {
                snprintf(rel, sizeof(rel), "var/log/libvirt/qemu/%s.log", domain);
                r = scan(&d, rel, "starting up", true);
                /* Without the guest's own log the name is wrong, or it never started here. */
                if (r >= 0 && !res.read.n)
                        r = -ENOENT;
                /* Some of libvirt's errors (the reset bug's) never reach the QEMU log. */
                for (size_t i = 0; r >= 0 && i < sizeof(daemons) / sizeof(daemons[0]); i++)
                        r = scan(&d, daemons[i], NULL, false);
                for (size_t i = 0; r >= 0 && i < sizeof(kernel) / sizeof(kernel[0]); i++)
                        r = scan(&d, kernel[i], NULL, false);
                if (r >= 0)
                        r = nvidia_hidden(&d, domain);
        }
        for (size_t i = 0; r >= 0 && logs && i < logs->n; i++)
                r = logs->v[i][0] == '/' ? scan(&d, logs->v[i] + 1, NULL, true) : -EINVAL;
        strv_free(&d.seen);
        if ((r >= 0 && !res.read.n) || r == -ENOENT) {
                r = -ENOENT;
                if (ret_reason)
                        *ret_reason = domain ? printed("no log of %s could be read (/var/log/libvirt/qemu/%s.log): has "
                                                       "it been started here?", domain, domain)
                                             : printed("none of the logs named could be read");
        }
        if (r < 0) {
                doctor_result_free(&res);
                return r;
        }
        *ret = res;
        return 0;
}

void doctor_result_free(struct doctor_result *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->findings[i].source);
                free(r->findings[i].line);
                free(r->findings[i].cause);
                free(r->findings[i].fix);
        }
        free(r->findings);
        strv_free(&r->read);
        strv_free(&r->unknown);
        *r = (struct doctor_result){ 0 };
}
