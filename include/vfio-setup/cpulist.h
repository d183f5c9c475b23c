/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* The kernel's CPU list syntax ("0-3,8,10-11"), as in sysfs topology and cache files. */

/*
 * Sorted, without duplicates; -EINVAL for malformed text or a CPU number of
 * limit or more (the machine's CPU count; at most 65536).
 */
int cpulist_parse(const char *text, unsigned limit, unsigned **ret, size_t *ret_n);
void cpulist_sort(unsigned *cpus, size_t n);
/* The set as a list, ascending with ranges collapsed, whatever the order given; NULL on ENOMEM. */
char *cpulist_format(const unsigned *set, size_t n);
