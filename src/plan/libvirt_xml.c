/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "vfio-setup/cpulist.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/pciaddr.h"
#include "vfio-setup/ovmf.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/strbuf.h"

/*
 * The gaming goal's elements (formatdomain: "CPU Tuning", "Memory Backing", "CPU model and
 * topology"): every vCPU on its host CPU, QEMU's emulator threads beside the host, a guest
 * topology that puts SMT siblings where the host has them, hugepages of the size reserved.
 * They go directly into <domain>, not into <devices>.
 */
static void tuning(const struct plan *p, struct strbuf *b)
{
        const struct pinning *pin = &p->pinning;
        char *host;

        if (p->vm_memory_mib) {
                strbuf_printf(b, "<memory unit='MiB'>%lu</memory>\n<currentMemory unit='MiB'>%lu</currentMemory>\n",
                              p->vm_memory_mib, p->vm_memory_mib);
                strbuf_printf(b, "<memoryBacking>\n  <hugepages>\n    <page size='%lu' unit='KiB'/>\n  </hugepages>\n"
                                 "</memoryBacking>\n", p->hugepage_kib);
        }
        if (pin->n_guest == 0)
                return;
        host = cpulist_format(pin->host, pin->n_host);
        if (!host) {
                b->err = -ENOMEM;
                return;
        }
        strbuf_printf(b, "<vcpu placement='static'>%zu</vcpu>\n<cputune>\n", pin->n_guest);
        for (size_t i = 0; i < pin->n_guest; i++)
                strbuf_printf(b, "  <vcpupin vcpu='%zu' cpuset='%u'/>\n", i, pin->guest[i]);
        strbuf_printf(b, "  <emulatorpin cpuset='%s'/>\n</cputune>\n", host);
        strbuf_printf(b, "<cpu mode='host-passthrough' check='none' migratable='off'>\n"
                         "  <topology sockets='1' dies='1' cores='%zu' threads='%u'/>\n  <cache mode='passthrough'/>\n"
                         "</cpu>\n", pin->n_guest / pin->threads, pin->threads);
        free(host);
}

/*
 * libvirt's <hostdev> for each device of the plan (formatdomain: "PCI devices
 * can be assigned to the guest"; managed='yes' lets libvirt detach and
 * reattach them).
 */
static int hostdevs(const struct plan *p, struct strbuf *b, const char *indent)
{
        for (size_t i = 0; i < p->devices.n; i++) {
                unsigned domain, bus, dev, func;

                if (pci_address_parse(p->devices.v[i], &domain, &bus, &dev, &func) < 0)
                        return -EINVAL;
                strbuf_printf(b,
                              "%1$s<hostdev mode='subsystem' type='pci' managed='yes'>\n"
                              "%1$s  <source>\n"
                              "%1$s    <address domain='0x%2$04x' bus='0x%3$02x' slot='0x%4$02x' function='0x%5$x'/>\n"
                              "%1$s  </source>\n"
                              "%1$s</hostdev>\n",
                              indent, domain, bus, dev, func);
        }
        return 0;
}

/* Looking Glass (install.rst): ivshmem on /dev/shm; kvmfr's device is QEMU's own arguments (kvmfr_args). */
static void looking_glass_shmem(const struct plan *p, struct strbuf *b, const char *indent)
{
        if (p->lg_size_mb && !p->lg_kvmfr)
                strbuf_printf(b, "%1$s<shmem name='looking-glass'>\n%1$s  <model type='ivshmem-plain'/>\n"
                                 "%1$s  <size unit='M'>%2$u</size>\n%1$s</shmem>\n", indent, p->lg_size_mb);
}

static void kvmfr_args(const struct plan *p, struct strbuf *b, const char *indent)
{
        strbuf_printf(b, "%1$s<qemu:commandline>\n%1$s  <qemu:arg value='-device'/>\n"
                         "%1$s  <qemu:arg value='{\"driver\":\"ivshmem-plain\",\"id\":\"shmem0\",\"memdev\":\"looking-glass\"}'/>\n"
                         "%1$s  <qemu:arg value='-object'/>\n"
                         "%1$s  <qemu:arg value='{\"qom-type\":\"memory-backend-file\",\"id\":\"looking-glass\","
                         "\"mem-path\":\"/dev/kvmfr0\",\"size\":%2$llu,\"share\":true}'/>\n%1$s</qemu:commandline>\n",
                      indent, (unsigned long long)p->lg_size_mb * 1024 * 1024);
}

/* SATA needs no driver in the guest; virtio-blk (bus='virtio') is faster once it has one.  From sd<first> on. */
static void passed_disks(const struct plan *p, struct strbuf *b, const char *indent, char first)
{
        for (size_t i = 0; i < p->disks.n; i++) {
                /* The by-id name is the tree's: escaped, or refused where XML cannot hold it. */
                strbuf_printf(b, "%1$s<disk type='block' device='disk'>\n"
                                 "%1$s  <driver name='qemu' type='raw' cache='none' io='native' discard='unmap'/>\n"
                                 "%1$s  <source dev='", indent);
                if (escape_xml(b, p->disks.v[i]) < 0 && !b->err)
                        b->err = -EINVAL;
                strbuf_printf(b, "'/>\n%1$s  <target dev='sd%2$c' bus='sata'/>\n%1$s</disk>\n", indent, (char)(first + i));
        }
}

/* The elements to paste into a domain's <devices> (and, for the gaming goal, into <domain>). */
int plan_libvirt_xml(const struct plan *p, char **ret)
{
        struct strbuf b = { 0 };
        int r;

        /* The gaming goal's elements go elsewhere, and say so; then the others say where they go too. */
        if (p->vm_memory_mib || p->pinning.n_guest)
                strbuf_printf(&b, "<!-- in <devices>: -->\n");
        r = hostdevs(p, &b, "");
        if (r < 0)
                b.err = r;
        looking_glass_shmem(p, &b, "");
        if (p->lg_size_mb && p->lg_kvmfr) {
                strbuf_printf(&b, "<!-- in <domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>, "
                                  "after </devices>: -->\n");
                kvmfr_args(p, &b, "");
        }
        passed_disks(p, &b, "", 'b');
        if (p->vm_memory_mib || p->pinning.n_guest) {
                strbuf_printf(&b, "<!-- in <domain>, outside <devices>: -->\n");
                tuning(p, &b);
        }
        return strbuf_finish(&b, ret);
}

bool libvirt_domain_name_ok(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)name[i]) && !strchr("._+-", name[i]))
                        return false;
        return true;
}

/*
 * Per guest system: Windows runs better with the Hyper-V enlightenments and keeps
 * the clock in local time; Linux uses KVM's own paravirtual clock, in UTC, and a
 * Hyper-V identity would only make it take the Hyper-V code paths.
 */
static const struct {
        const char *name;
        const char *enlightenments;     /* inside <features>, after acpi and apic */
        const char *clock_offset;
        const char *clock_timers;       /* after rtc, pit and hpet */
} guest_profiles[_GUEST_OS_MAX] = {
        [GUEST_WINDOWS] = {
                "windows",
                "    <hyperv mode='custom'>\n      <relaxed state='on'/>\n      <vapic state='on'/>\n"
                "      <spinlocks state='on' retries='8191'/>\n      <vpindex state='on'/>\n"
                "      <synic state='on'/>\n      <stimer state='on'/>\n      <reset state='on'/>\n"
                "      <frequencies state='on'/>\n    </hyperv>\n",
                "localtime",
                "    <timer name='hypervclock' present='yes'/>\n",
        },
        [GUEST_LINUX] = { "linux", "", "utc", "" },
};

int guest_os_from_name(const char *name, enum guest_os *ret)
{
        for (int i = 0; i < _GUEST_OS_MAX; i++)
                if (strcmp(name, guest_profiles[i].name) == 0) {
                        *ret = (enum guest_os)i;
                        return 0;
                }
        return -EINVAL;
}

char *guest_iso_default(const char *name)
{
        char *path;

        return asprintf(&path, "/var/lib/libvirt/images/%s-installer.iso", name) < 0 ? NULL : path;
}

/* A path libvirt takes as it is: absolute, and nothing XML or a shell would read twice. */
static bool plain_path(const char *path)
{
        return path[0] == '/' && !strstr(path, "/../") && !strpbrk(path, "'\"<>&\n\t\\");
}

static bool system_disk_virtio(const struct guest_domain *g)
{
        return g->os == GUEST_LINUX || g->drivers_iso;
}

/* A read-only SATA CD-ROM (the installers have drivers for nothing else), first to boot when boot is set. */
static void cdrom(struct strbuf *b, const char *comment, const char *path, char letter, unsigned boot)
{
        strbuf_printf(b, "    <!-- %s -->\n    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n"
                         "      <source file='%s'/>\n      <target dev='sd%c' bus='sata'/>\n      <readonly/>\n",
                      comment, path, letter);
        if (boot)
                strbuf_printf(b, "      <boot order='%u'/>\n", boot);
        strbuf_printf(b, "    </disk>\n");
}

/*
 * The devices of the form: the system disk, the install media, display and input.  Returns
 * the next free SATA letter.
 */
static char guest_devices(const struct plan *p, const struct guest_domain *g, struct strbuf *b)
{
        char sata = 'a';
        bool virtio = system_disk_virtio(g);

        strbuf_printf(b, "    <!-- the guest's system disk: qemu-img create -f qcow2 /var/lib/libvirt/images/%1$s.qcow2 "
                         "128G (or point it at your own); on %2$s, as for the install -->\n"
                         "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
                         "      <source file='/var/lib/libvirt/images/%1$s.qcow2'/>\n"
                         "      <target dev='%3$s' bus='%4$s'/>\n",
                      g->name, virtio ? "virtio" : "SATA (the Windows installer has no virtio driver without the "
                                                   "drivers ISO)",
                      virtio ? "vda" : "sda", virtio ? "virtio" : "sata");
        if (!virtio)
                sata++;
        if (!g->installed)
                strbuf_printf(b, "      <boot order='2'/>\n");
        strbuf_printf(b, "    </disk>\n");
        if (!g->installed) {
                char *iso = g->iso ? NULL : guest_iso_default(g->name);

                if (!g->iso && !iso) {
                        b->err = -ENOMEM;
                        return sata;
                }
                cdrom(b, g->iso ? "the installer" : "the installer: put its ISO at this path, or name another with the iso option of vfio-setup plan",
                      g->iso ? g->iso : iso, sata++, 1);
                free(iso);
                if (g->drivers_iso)
                        cdrom(b, "virtio-win: the installer loads the disk's driver from it (Load driver, "
                                 "viostor\\w11\\amd64), the network's and the rest after the install",
                              g->drivers_iso, sata++, 0);
                /* A display and input for the install, beside the passed GPU; the installed form has neither. */
                strbuf_printf(b, "    <!-- for the install only: a window on the guest (virt-viewer %s, or virt-manager) "
                                 "with a tablet and keyboard -->\n"
                                 "    <graphics type='spice' autoport='yes'>\n      <listen type='address'/>\n"
                                 "    </graphics>\n    <video>\n      <model type='%s'/>\n    </video>\n"
                                 "    <controller type='usb' model='qemu-xhci'/>\n"
                                 "    <input type='tablet' bus='usb'/>\n    <input type='keyboard' bus='usb'/>\n",
                              g->name, g->os == GUEST_WINDOWS ? "qxl" : "virtio");
                return sata;
        }
        if (p->lg_size_mb) {
                /* Looking Glass's client sends input over SPICE: a mouse, not a tablet, and no display of its own. */
                strbuf_printf(b, "    <!-- Looking Glass's client sends keyboard and mouse over SPICE -->\n"
                                 "    <graphics type='spice' autoport='yes'>\n      <listen type='address'/>\n"
                                 "    </graphics>\n    <input type='mouse' bus='ps2'/>\n"
                                 "    <input type='keyboard' bus='ps2'/>\n");
        }
        for (size_t i = 0; i < g->inputs.n; i++) {
                bool keyboard = strstr(g->inputs.v[i], "-event-kbd") != NULL;

                /* Both Ctrl keys hand keyboard and mouse between host and guest (grabToggle: libvirt 7.6). */
                strbuf_printf(b, "    <input type='evdev'>\n      <source dev='%s'%s/>\n    </input>\n", g->inputs.v[i],
                              keyboard ? " grab='all' repeat='on' grabToggle='ctrl-ctrl'" : "");
        }
        strbuf_printf(b, "    <!-- the GPU is the display: no emulated one -->\n"
                         "    <video>\n      <model type='none'/>\n    </video>\n");
        return sata;
}

/*
 * A whole domain for the plan (formatdomain): q35 with the distribution's OVMF
 * (Secure Boot and SMM when that build is there), the guest system's
 * enlightenments and clock, a TPM, the plan's devices, Looking Glass, the
 * gaming goal's memory and pinning, a disk image and network for the user to
 * create or change, and the form's install media, display and input.  Without
 * OVMF found, libvirt picks the firmware.
 */
int plan_libvirt_domain(const struct plan *p, const struct guest_domain *g, const struct ovmf_paths *fw, char **ret)
{
        struct strbuf b = { 0 };
        bool kvmfr = p->lg_size_mb && p->lg_kvmfr;
        const char *boot = g->installed ? "    <boot dev='hd'/>\n" : "";
        char sata;
        int r;

        if (!libvirt_domain_name_ok(g->name) || (unsigned)g->os >= _GUEST_OS_MAX ||
            (g->iso && !plain_path(g->iso)) || (g->drivers_iso && !plain_path(g->drivers_iso)))
                return -EINVAL;
        for (size_t i = 0; i < g->inputs.n; i++)
                if (!startswith(g->inputs.v[i], "/dev/input/by-id/") || !plain_path(g->inputs.v[i]))
                        return -EINVAL;
        strbuf_printf(&b, "<domain type='kvm'%s>\n  <name>%s</name>\n",
                      kvmfr ? " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'" : "", g->name);
        if (p->vm_memory_mib || p->pinning.n_guest) {
                struct strbuf t = { 0 };
                char *text = NULL;

                tuning(p, &t);
                if (strbuf_finish(&t, &text) < 0) {
                        b.err = -ENOMEM;
                        return strbuf_finish(&b, ret);
                }
                /* The gaming goal's memory, hugepages, vCPUs, pinning and CPU topology, indented into place. */
                for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
                        strbuf_printf(&b, "  %s\n", line);
                free(text);
        }
        if (!p->vm_memory_mib)
                strbuf_printf(&b, "  <memory unit='MiB'>8192</memory>\n  <currentMemory unit='MiB'>8192</currentMemory>\n");
        if (!p->pinning.n_guest)
                strbuf_printf(&b, "  <vcpu placement='static'>4</vcpu>\n");
        /* The install boots from the devices' own boot order (installer, then disk), which rules out <os>'s. */
        if (fw)
                strbuf_printf(&b, "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n"
                                  "    <loader readonly='yes'%s type='pflash'>%s</loader>\n"
                                  "    <nvram template='%s'>/var/lib/libvirt/qemu/nvram/%s_VARS.fd</nvram>\n"
                                  "%s  </os>\n",
                              fw->secure_boot ? " secure='yes'" : "", fw->code, fw->vars, g->name, boot);
        else
                strbuf_printf(&b, "  <!-- no OVMF was found on this machine (Debian: ovmf, Fedora and Arch: edk2-ovmf, "
                                  "openSUSE: qemu-ovmf-x86_64); libvirt picks the UEFI firmware it knows -->\n"
                                  "  <os firmware='efi'>\n    <type arch='x86_64' machine='q35'>hvm</type>\n"
                                  "%s  </os>\n", boot);
        if (g->os == GUEST_WINDOWS && !(fw && fw->secure_boot))
                strbuf_printf(&b, "  <!-- Windows 11 installs only with Secure Boot firmware and a TPM 2.0: no OVMF "
                                  "build with Secure Boot and Microsoft's keys was found here (Debian: ovmf) -->\n");
        strbuf_printf(&b, "  <features>\n    <acpi/>\n    <apic/>\n%s    <vmport state='off'/>\n%s  </features>\n",
                      guest_profiles[g->os].enlightenments, fw && fw->secure_boot ? "    <smm state='on'/>\n" : "");
        if (!p->pinning.n_guest)
                strbuf_printf(&b, "  <cpu mode='host-passthrough' check='none' migratable='off'/>\n");
        strbuf_printf(&b, "  <clock offset='%s'>\n    <timer name='rtc' tickpolicy='catchup'/>\n"
                          "    <timer name='pit' tickpolicy='delay'/>\n    <timer name='hpet' present='no'/>\n%s"
                          "  </clock>\n",
                      guest_profiles[g->os].clock_offset, guest_profiles[g->os].clock_timers);
        strbuf_printf(&b, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
                          "  <on_crash>destroy</on_crash>\n  <devices>\n");
        sata = guest_devices(p, g, &b);
        strbuf_printf(&b, "    <!-- libvirt's default NAT network; a bridge: <interface type='bridge'> -->\n"
                          "    <interface type='network'>\n      <source network='default'/>\n"
                          "      <model type='%s'/>\n    </interface>\n",
                      g->os == GUEST_WINDOWS && !g->drivers_iso ? "e1000e" : "virtio");
        r = hostdevs(p, &b, "    ");
        if (r < 0)
                b.err = r;
        passed_disks(p, &b, "    ", sata);
        looking_glass_shmem(p, &b, "    ");
        strbuf_printf(&b, "    <tpm model='tpm-crb'>\n      <backend type='emulator' version='2.0'/>\n    </tpm>\n"
                          "    <!-- no balloon under the passed devices' DMA -->\n"
                          "    <memballoon model='none'/>\n  </devices>\n");
        if (kvmfr)
                kvmfr_args(p, &b, "  ");
        strbuf_printf(&b, "</domain>\n");
        return strbuf_finish(&b, ret);
}

int plan_guest_domain(const struct sysroot *sr, const struct plan *p, const struct guest_domain *g, char **ret)
{
        struct ovmf_paths fw;
        bool have_fw = ovmf_find(sr, &fw) == 0;

        return plan_libvirt_domain(p, g, have_fw ? &fw : NULL, ret);
}
