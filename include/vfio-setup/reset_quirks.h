/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/*
 * GPUs known not to reset between guest boots without help (data/reset-quirks).
 * 0 and the family's name when the id is listed, -ENOENT when it is not.
 */
int reset_quirk_find(uint16_t vendor_id, uint16_t device_id, char **ret_family);
