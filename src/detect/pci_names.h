/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "vfio-setup/machine.h"

/*
 * Names the devices from a PCI ID database in the format of pci.ids: vendor and device
 * names of the devices whose ids are known, class names as lspci shows them.  One pass
 * over the file keeps only the lines of ids the devices have, instead of loading the
 * whole database.  A file that cannot be read leaves the devices without names (0).
 */
int pci_names_fill(const char *database, struct pci_device *devices, size_t n);

/* Where libpci, and so lspci, looks for the database on this system. */
int pci_names_database(char **ret);
