/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/machine.h"

/* "DDDD:BB:DD.F" in the kernel's spelling (the domain may be longer); "BB:DD.F" means domain 0. */
int pci_address_parse(const char *s, unsigned *ret_domain, unsigned *ret_bus, unsigned *ret_dev, unsigned *ret_func);
/* buf needs 16 bytes. */
void pci_address_format(unsigned domain, unsigned bus, unsigned dev, unsigned func, char *buf);
/* Orders devices numerically by domain, bus, device, function. */
int pci_address_cmp(const struct pci_device *a, const struct pci_device *b);
