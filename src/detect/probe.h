/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/detect.h"

/*
 * Scoring of tell-tale files, shared by the bootloader and initramfs
 * detectors: each row names a path (shell wildcards allowed in any
 * component) and how much its presence says for one kind.  The kind with the
 * highest total wins; the others are kept as "also found".
 */
struct probe {
        int kind;
        const char *path;      /* relative to the root, or to the ESP when on_esp */
        bool on_esp;
        int weight;
};

/*
 * Weight for a kind from a fact that is not a file: an EFI variable (which
 * decides on its own), or the distribution's default (which only breaks ties
 * between kinds whose files were found).
 */
struct probe_bonus {
        int kind;
        int weight;
        const char *why;
        bool needs_files;
};

int probe_score(const struct sysroot *sr, const struct machine *m, const struct probe *rows, size_t n_rows,
                const struct probe_bonus *bonus, size_t n_bonus, int n_kinds, const char *(*kind_name)(int kind),
                struct evidence_result *ret);
