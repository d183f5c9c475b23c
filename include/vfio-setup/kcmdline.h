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

/*
 * Whether tokens set key with option among its value's comma-separated options, as
 * intel_iommu=, amd_iommu= and iommu= take them ("on,igfx_off"); any value when option is
 * NULL.  A token that cannot be parsed counts as not set.
 */
bool kcmdline_has_option(const struct strv *tokens, const char *key, const char *option);

/* intel_iommu='s igfx_off or intgpu_off: the integrated GPU is left outside the IOMMU, in no group. */
bool kcmdline_excludes_igpu(const struct strv *tokens);
