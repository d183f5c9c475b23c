/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/json.h"

int json_finish(json_object *root, char **ret)
{
        const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                        JSON_C_TO_STRING_NOSLASHESCAPE);
        char *out = text ? strdup(text) : NULL;

        json_object_put(root);
        if (!out)
                return -VS_E_JSON;
        *ret = out;
        return 0;
}
