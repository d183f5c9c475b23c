/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

/*
 * The one style of every JSON document vfio-setup prints: indented, spaced,
 * "/" not escaped (paths stay readable).  Takes root; 0 and the text, or
 * -VS_E_JSON.
 */
int json_finish(json_object *root, char **ret);
