/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vfio-setup/strv.h"
#include "vfio-setup/words.h"

/*
 * The kernel command line, split the way the kernel splits it (words_parse's
 * WORDS_KERNEL: on white space, except inside double quotes).  Tokens are kept as written (quotes
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

/* Whether two values of key mean the same (vfio-pci ids are a set: order does not matter). */
bool kcmdline_value_equal(const char *key, const char *a, const char *b);

/*
 * Whether key's value is a list others add to as well (initcall_blacklist): SET adds the
 * value's items to the list where it is, DROP with a value takes only those items out,
 * and key=value is "on the line" when the list holds the items.
 */
bool kcmdline_key_merged(const char *key);

/* Whether key (with value, when not NULL) is on the line, before any "--". */
bool kcmdline_has(const char *line, const char *key, const char *value);

/* Index of the words' "--", or their count: the kernel's parameters end there. */
size_t kcmdline_end(const struct words *w);
/* 1 when word i is key (with value, if given; kcmdline_has's rules), 0 when not, negative on failure. */
int kcmdline_word_matches(const struct words *w, size_t i, const char *key, const char *value);
/* Whether the comma-separated list holds the len bytes of item as one of its items. */
bool kcmdline_list_has(const char *list, const char *item, size_t len);
