/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/remedy.h"

extern const char *const wizard_remedies[_REMEDY_MAX];

#include "vfio-setup/plan.h"

/* plan_build with its reason, warnings and manual steps in the wizard's words. */
int wizard_plan_build(const struct sysroot *sr, const struct machine *m, const struct selection *sel,
                      struct plan **ret, char **ret_reason);
/* A library's text (NULL stays NULL) in the wizard's words, in place. */
int wizard_word(char **text);
