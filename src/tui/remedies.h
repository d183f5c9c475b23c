/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/remedy.h"

extern const char *const wizard_remedies[_REMEDY_MAX];
