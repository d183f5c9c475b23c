/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/machine.h"

/* The whole machine as one JSON document (keys: see README, "detect --json"). */
int machine_to_json(const struct machine *m, char **ret);
