/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs the check apply makes before it runs a tree's programs as root, alone:
 * for the trust tests and bench/tree-check.  Prints "ok ENTRIES SECONDS" or
 * "untrusted ENTRIES SECONDS DOUBT UID PATH"; exit 0, 1 (untrusted) or 2.
 * Usage: treecheck ROOT
 */
#include <stdio.h>
#include <time.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/trust.h"

int main(int argc, char **argv)
{
        static const char *const doubts[] = {
                [TREE_NOT_ROOTS] = "not-roots", [TREE_WRITABLE] = "writable",
                [TREE_UNREADABLE] = "unreadable", [TREE_TOO_LARGE] = "too-large",
        };
        struct tree_finding f;
        struct timespec a, b;
        struct sysroot *sr;
        size_t entries = 0;
        double took;
        int r;

        if (argc != 2 || sysroot_new(argv[1], &sr) < 0) {
                fprintf(stderr, "usage: treecheck ROOT\n");
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        r = tree_check(sr, &f, &entries);
        clock_gettime(CLOCK_MONOTONIC, &b);
        took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        sysroot_free(sr);
        if (r == -VS_E_UNTRUSTED) {
                printf("untrusted %zu %.3f %s %u %s\n", entries, took, doubts[f.doubt], (unsigned)f.uid, f.path);
                tree_finding_free(&f);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "treecheck: %s\n", vs_strerror(r));
                return 2;
        }
        printf("ok %zu %.3f\n", entries, took);
        return 0;
}
