/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "vfio-setup/errors.h"

static const char *const messages[] = {
#define VS_ERROR_MSG(name, msg) [name - VS_E_BASE - 1] = msg,
        VS_ERRORS(VS_ERROR_MSG)
#undef VS_ERROR_MSG
};

const char *vs_strerror(int err)
{
        int code = err < 0 ? -err : err;

        if (code > VS_E_BASE && code < VS_E_END)
                return messages[code - VS_E_BASE - 1];
        return strerror(code);
}
