/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vfio-setup/pciaddr.h"

/* Exactly `digits` hex digits (at least `digits` when `at_least`), returns the end. */
static const char *hex(const char *s, size_t digits, bool at_least, unsigned *ret)
{
        unsigned v = 0;
        size_t n = 0;

        while (isxdigit((unsigned char)s[n]) && (at_least || n < digits) && n < 8) {
                v = v * 16 + (unsigned)(isdigit((unsigned char)s[n]) ? s[n] - '0' : tolower((unsigned char)s[n]) - 'a' + 10);
                n++;
        }
        if (n < digits)
                return NULL;
        *ret = v;
        return s + n;
}

int pci_address_parse(const char *s, unsigned *ret_domain, unsigned *ret_bus, unsigned *ret_dev, unsigned *ret_func)
{
        unsigned domain = 0, bus, dev;
        const char *p = s;

        /* With a domain there are two colons. */
        if (strchr(s, ':') != strrchr(s, ':')) {
                p = hex(p, 4, true, &domain);
                if (!p || *p++ != ':')
                        return -EINVAL;
        }
        p = hex(p, 2, false, &bus);
        if (!p || *p++ != ':')
                return -EINVAL;
        p = hex(p, 2, false, &dev);
        if (!p || *p++ != '.' || dev > 0x1f)
                return -EINVAL;
        if (*p < '0' || *p > '7' || p[1] != '\0')
                return -EINVAL;
        *ret_domain = domain;
        *ret_bus = bus;
        *ret_dev = dev;
        *ret_func = (unsigned)(*p - '0');
        return 0;
}

void pci_address_format(unsigned domain, unsigned bus, unsigned dev, unsigned func, char *buf)
{
        snprintf(buf, 16, "%04x:%02x:%02x.%u", domain & 0xffffffu, bus & 0xffu, dev & 0x1fu, func & 7u);
}

int pci_address_cmp(const struct pci_device *a, const struct pci_device *b)
{
        const unsigned ka[] = { a->domain, a->bus, a->dev, a->func };
        const unsigned kb[] = { b->domain, b->bus, b->dev, b->func };

        for (size_t i = 0; i < 4; i++)
                if (ka[i] != kb[i])
                        return ka[i] < kb[i] ? -1 : 1;
        return 0;
}
