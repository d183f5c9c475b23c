/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "vfio-setup/cpulist.h"
#include "vfio-setup/pciaddr.h"
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

        strbuf_printf(b, "<!-- in <domain>, outside <devices>: -->\n");
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
 * reattach them), ready to paste into `virsh edit` inside <devices>.
 */
int plan_libvirt_xml(const struct plan *p, char **ret)
{
        struct strbuf b = { 0 };

        /* The gaming goal's elements go elsewhere, and say so; then the others say where they go too. */
        if (p->vm_memory_mib || p->pinning.n_guest)
                strbuf_printf(&b, "<!-- in <devices>: -->\n");
        for (size_t i = 0; i < p->devices.n; i++) {
                unsigned domain, bus, dev, func;

                if (pci_address_parse(p->devices.v[i], &domain, &bus, &dev, &func) < 0)
                        return -EINVAL;
                strbuf_printf(&b,
                              "<hostdev mode='subsystem' type='pci' managed='yes'>\n"
                              "  <source>\n"
                              "    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n"
                              "  </source>\n"
                              "</hostdev>\n",
                              domain, bus, dev, func);
        }
        /* Looking Glass (install.rst): ivshmem on /dev/shm, or kvmfr's device through QEMU's own arguments. */
        if (p->lg_size_mb && !p->lg_kvmfr)
                strbuf_printf(&b, "<shmem name='looking-glass'>\n  <model type='ivshmem-plain'/>\n  <size unit='M'>%u</size>\n"
                                  "</shmem>\n", p->lg_size_mb);
        else if (p->lg_size_mb)
                strbuf_printf(&b, "<!-- in <domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>, "
                                  "after </devices>: -->\n<qemu:commandline>\n  <qemu:arg value='-device'/>\n"
                                  "  <qemu:arg value='{\"driver\":\"ivshmem-plain\",\"id\":\"shmem0\",\"memdev\":\"looking-glass\"}'/>\n"
                                  "  <qemu:arg value='-object'/>\n"
                                  "  <qemu:arg value='{\"qom-type\":\"memory-backend-file\",\"id\":\"looking-glass\","
                                  "\"mem-path\":\"/dev/kvmfr0\",\"size\":%llu,\"share\":true}'/>\n</qemu:commandline>\n",
                              (unsigned long long)p->lg_size_mb * 1024 * 1024);
        /* SATA needs no driver in the guest; virtio-blk (bus='virtio') is faster once it has one. */
        for (size_t i = 0; i < p->disks.n; i++)
                strbuf_printf(&b, "<disk type='block' device='disk'>\n"
                                  "  <driver name='qemu' type='raw' cache='none' io='native' discard='unmap'/>\n"
                                  "  <source dev='%s'/>\n  <target dev='sd%c' bus='sata'/>\n</disk>\n",
                              p->disks.v[i], (char)('b' + i));
        if (p->vm_memory_mib || p->pinning.n_guest)
                tuning(p, &b);
        return strbuf_finish(&b, ret);
}
