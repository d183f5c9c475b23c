/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* GPUs known not to reset between guest boots without help: the table of data/reset-quirks. */
struct reset_quirks;

int reset_quirks_load(struct reset_quirks **ret);
/* The family of a listed GPU, or NULL; a NULL table lists nothing. */
const char *reset_quirks_find(const struct reset_quirks *q, uint16_t vendor_id, uint16_t device_id);
void reset_quirks_free(struct reset_quirks *q);
