/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mkroot CARD DIR: builds a fake system root from a machine card, for tests and benchmarks. */
#include <stdio.h>

#include "vfio-setup/card.h"
#include "vfio-setup/errors.h"

int main(int argc, char **argv)
{
        struct card c;
        int r;

        if (argc != 3) {
                fprintf(stderr, "usage: mkroot CARD DIR\n");
                return 1;
        }
        r = card_load(argv[1], &c);
        if (r < 0) {
                fprintf(stderr, "mkroot: %s: %s\n", argv[1], vs_strerror(r));
                return 1;
        }
        r = card_build_root(&c, argv[2]);
        card_free(&c);
        if (r < 0) {
                fprintf(stderr, "mkroot: %s: %s\n", argv[2], vs_strerror(r));
                return 1;
        }
        return 0;
}
