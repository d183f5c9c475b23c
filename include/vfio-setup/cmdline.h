/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/strv.h"

/*
 * Edits a kernel command line: the user's other parameters, their order and
 * spacing stay as they were.  Parameters compare by name the way the kernel
 * compares them ('-' and '_' alike); everything after "--" belongs to init
 * and is never touched.
 */
enum cmdline_op_kind {
        CMDLINE_SET,    /* key=value once: replaced in place, later duplicates dropped, else appended */
        CMDLINE_REPLACE,/* like SET where the key is there; nothing where it is not */
        CMDLINE_DROP,   /* every key (with exactly this value, when one is given) removed */
};

struct cmdline_op {
        enum cmdline_op_kind kind;
        const char *key;
        const char *value;      /* NULL: a bare flag for SET, any value for DROP */
};

/* added and removed (may be NULL) collect the tokens that came and went (a list losing an item: both). */
int cmdline_edit(const char *line, const struct cmdline_op *ops, size_t n_ops, char **ret, struct strv *added,
                 struct strv *removed);
