/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/strv.h"

/*
 * The kernel command line, split the way the kernel splits it: on white
 * space, except inside double quotes.  Tokens are kept as written (quotes
 * included) so that an editor can put back what it does not change.
 */
int kcmdline_split(const char *line, struct strv *ret);

/* Key and value of one token with quotes removed; value NULL without '='. */
int kcmdline_parse_token(const char *token, char **ret_key, char **ret_value);

/* Parameter names compare with '-' and '_' as the same character, as the kernel does. */
bool kcmdline_key_equal(const char *a, const char *b);
