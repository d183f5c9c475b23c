/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <check.h>
#include <stdbool.h>

#include "vfio-setup/detect.h"

/* A fresh temporary root for one test; removed by tl_root_free. */
char *tl_root_new(void);
void tl_root_free(char *root);

/* Create files below a root; parents are made as needed. Failures abort the test. */
void tl_write(const char *root, const char *rel, const char *content);
void tl_write_bytes(const char *root, const char *rel, const void *data, size_t len);
void tl_symlink(const char *root, const char *rel, const char *target);
void tl_mkdir(const char *root, const char *rel);

/* Runs one detection step on a root; the machine is zeroed first. */
struct machine *tl_machine(void);
struct sysroot *tl_sysroot(const char *root);

/* A fake PCI function as the kernel shows it, for detect_pci tests. */
void tl_pci_device(const char *root, const char *bdf, const char *vendor, const char *device, const char *class,
                   int group, const char *driver);

/* Runs the suite with TAP output for meson. */
int tl_run(Suite *s);
