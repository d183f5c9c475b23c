/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/json.h"

int json_finish(json_object *root, char **ret)
{
        const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                        JSON_C_TO_STRING_NOSLASHESCAPE);
        char *out = text ? malloc(strlen(text) * 6 + 1) : NULL, *w = out;

        /* json-c escapes C0 controls; DEL and C1 characters from the tree get \u escapes here, never raw. */
        for (const unsigned char *p = (const unsigned char *)text; out && *p; p++)
                if (*p == 0x7f)
                        w += sprintf(w, "\\u007f");
                else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
                        w += sprintf(w, "\\u00%02x", *++p);
                else
                        *w++ = (char)*p;
        if (w)
                *w = '\0';
        json_object_put(root);
        if (!out)
                return -VS_E_JSON;
        *ret = out;
        return 0;
}
