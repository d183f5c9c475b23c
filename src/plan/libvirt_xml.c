/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "vfio-setup/pciaddr.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/strbuf.h"

/*
 * libvirt's <hostdev> for each device of the plan (formatdomain: "PCI devices
 * can be assigned to the guest"; managed='yes' lets libvirt detach and
 * reattach them), ready to paste into `virsh edit` inside <devices>.
 */
int plan_libvirt_xml(const struct plan *p, char **ret)
{
        struct strbuf b = { 0 };

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
        return strbuf_finish(&b, ret);
}
