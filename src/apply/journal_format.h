/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/journal.h"

/*
 * The journal's record, as text: "format", "state", one line per file, directory and
 * command, fields tab-separated, and the checksum of all of them last.  The store
 * (journal.c) decides where it lives and who may have written it.
 */
int journal_format_text(const struct journal *j, char **ret);
/* Reads text into j; -VS_E_JOURNAL (or _NEWER) with *ret_reason naming where for what cannot be read. */
int journal_parse(struct journal *j, const char *text, size_t len, const char *where, char **ret_reason);
/* *ret_reason from fmt, and err (-ENOMEM when even that fails). */
int journal_refuse(char **ret_reason, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
