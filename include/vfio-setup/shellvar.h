/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vfio-setup/textfile.h"

/*
 * Variables of shell-style configuration files (/etc/default/grub,
 * mkinitcpio.conf): KEY="value", KEY='value', KEY=value, KEY=(a b c).
 * Only what can be edited without running a shell is accepted; a value built
 * from other variables or commands, or a quote left open, is refused with
 * the file and line named.
 */
struct shell_value {
        size_t line;            /* index into the file's lines */
        size_t start, end;      /* the value's bytes in that line, inside quotes or parentheses */
        size_t last_line;       /* for an array: the line of its ')' */
        size_t last_end;        /* ... and the offset of that ')' (end, on one line) */
        char quote;             /* '"', '\'', '(' for an array, 0 for a bare value */
};

/* The last assignment of key (the one the shell keeps). 0 with *found = false when there is none. */
int shell_find(const struct textfile *f, const char *key, struct shell_value *ret, bool *found, char **ret_reason);
/*
 * A list: an array KEY=( ... ), which may span lines (start/end cover its
 * first line's part), or the older form KEY="a b c".
 */
int shell_find_list(const struct textfile *f, const char *key, struct shell_value *ret, bool *found,
                    char **ret_reason);
/* The value's text (first line's part, for an array). */
char *shell_value_text(const struct textfile *f, const struct shell_value *v);
/*
 * Puts text in place of the value, keeping the quotes and the rest of the
 * line; a bare value that needs quotes now gets them.  -VS_E_CONFIG when the
 * text cannot be written inside the value's quotes.
 */
int shell_value_set(struct textfile *f, const struct shell_value *v, const char *text);
