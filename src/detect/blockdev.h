/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/sysroot.h"

/* What the ESP and storage detectors share: the mount table and what a block device holds. */

struct mount {
        char *point, *fstype, *source;
        unsigned major, minor;
};

void mount_clear(struct mount *mt);
/* One line of proc/self/mountinfo (changed in place); -EBADMSG when malformed. */
int mount_parse(char *line, struct mount *ret);

struct block_probe {
        char *fs_type, *part_type, *label;  /* each NULL when not said */
};

/*
 * What a block device holds: from udev's database (what blkid said when the
 * device appeared; needs no privileges), else libblkid on node (below the
 * root).  -errno when neither can tell.
 */
int block_probe(const struct sysroot *sr, unsigned major, unsigned minor, const char *node, struct block_probe *ret);
void block_probe_clear(struct block_probe *p);
