/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "vfio-setup/strv.h"
#include "vfio-setup/sysroot.h"

/*
 * A snapshot is a .tar.gz of exactly what detection reads below the root:
 * files whose content matters with their content, files whose existence
 * matters as empty placeholders, links as links.  Unpacked, its top
 * directory is a --root on which detection finds the same machine.
 */
struct snapshot_stats {
        size_t files;           /* with content */
        size_t placeholders;    /* empty: only their existence matters */
        size_t links;
        size_t dirs;
        size_t bytes;           /* content bytes */
        size_t refused;         /* paths left out as private */
        struct strv paths;      /* every captured path, sorted */
};

/* top is the archive's top directory name; the archive is written atomically to output. */
int snapshot_write(struct sysroot *sr, const char *output, const char *top, struct snapshot_stats *ret);
void snapshot_stats_free(struct snapshot_stats *s);
