/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/datadir.h"
#include "vfio-setup/reset_quirks.h"

static bool listed(char *ids, unsigned long device_id)
{
        char *save = NULL, *end;

        for (char *id = strtok_r(ids, " ", &save); id; id = strtok_r(NULL, " ", &save))
                if (strtoul(id, &end, 16) == device_id && *end == '\0')
                        return true;
        return false;
}

int reset_quirk_find(uint16_t vendor_id, uint16_t device_id, char **ret_family)
{
        char *text = NULL, *save = NULL, *family = NULL;
        int r;

        r = data_read("reset-quirks", &text);
        if (r < 0)
                return r;
        r = -ENOENT;
        for (char *line = strtok_r(text, "\n", &save); line && r == -ENOENT; line = strtok_r(NULL, "\n", &save)) {
                char *vendor = strchr(line, '\t'), *ids, *end;

                if (line[0] == '#' || !vendor || !(ids = strchr(vendor + 1, '\t')))
                        continue;
                *vendor++ = '\0';
                *ids++ = '\0';
                if (strtoul(vendor, &end, 16) != vendor_id || *end != '\0' || !listed(ids, device_id))
                        continue;
                family = strdup(line);
                r = family ? 0 : -ENOMEM;
        }
        free(text);
        if (r == 0)
                *ret_family = family;
        return r;
}
