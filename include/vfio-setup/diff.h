/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* A unified diff of two texts, "@@" hunks with `context` lines around each change; "" when equal. */
int diff_unified(const char *old, size_t old_len, const char *new, size_t new_len, unsigned context, char **ret);
