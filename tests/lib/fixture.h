/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "testlib.h"

/*
 * The usual fixture of the detection tests: a fresh root, a sysroot on it and
 * an empty machine, made before and removed after each test of the case.
 */
extern char *root;
extern struct sysroot *sr;
extern struct machine *m;

void tl_fixture(TCase *tc);
