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
        return strbuf_finish(&b, ret);
}
