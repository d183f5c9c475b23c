/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fixture.h"

char *root;
struct sysroot *sr;
struct machine *m;

static void setup(void)
{
        root = tl_root_new();
        sr = tl_sysroot(root);
        m = tl_machine();
}

static void teardown(void)
{
        machine_free(m);
        sysroot_free(sr);
        tl_root_free(root);
        m = NULL;
        sr = NULL;
        root = NULL;
}

void tl_fixture(TCase *tc)
{
        tcase_add_checked_fixture(tc, setup, teardown);
}
