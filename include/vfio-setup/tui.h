/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/wizard.h"

struct tui_options {
        bool color;             /* off with NO_COLOR, --no-color, or a terminal without colours */
        bool ascii;             /* lines as - | + */
};

/*
 * Runs the wizard on the terminal until the user quits; takes the machine.
 * -ENOTTY without a terminal.  *ret_farewell: what to print once the
 * terminal is back (the last screen's next steps), or NULL when it ended
 * before anything was applied; *ret_failed: an apply or undo failed.
 */
int tui_run(const struct wizard_options *o, const struct sysroot *sr, struct machine *m, const struct tui_options *t,
            char **ret_farewell, bool *ret_failed);
