/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"

static const struct {
        const char *file;
        size_t offset;
} dmi_fields[] = {
        { "board_vendor", offsetof(struct board_info, vendor) },
        { "board_name", offsetof(struct board_info, name) },
        { "bios_vendor", offsetof(struct board_info, bios_vendor) },
        { "bios_version", offsetof(struct board_info, bios_version) },
        { "bios_date", offsetof(struct board_info, bios_date) },
        { "sys_vendor", offsetof(struct board_info, sys_vendor) },
        { "product_name", offsetof(struct board_info, product_name) },
};

/* Firmware fills unset DMI strings with placeholders; they say nothing. */
static bool placeholder(const char *s)
{
        static const char *const junk[] = {
                "", "To be filled by O.E.M.", "To Be Filled By O.E.M.", "Default string",
                "System Product Name", "System manufacturer", "Not Applicable", "None",
        };

        for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
                if (strcmp(s, junk[i]) == 0)
                        return true;
        return false;
}

/* SMBIOS chassis types of portable machines: 8 portable, 9 laptop, 10 notebook, 14 sub notebook,
 * 30 tablet, 31 convertible, 32 detachable.  Their discrete GPU rarely drives a screen of its own. */
static bool portable(int chassis_type)
{
        static const int types[] = { 8, 9, 10, 14, 30, 31, 32 };

        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (chassis_type == types[i])
                        return true;
        return false;
}

static int chassis(const struct sysroot *sr, struct machine *m)
{
        const char *path = "sys/class/dmi/id/chassis_type";
        char *value, *end;
        long type;
        int r;

        r = sysroot_read_line(sr, path, &value);
        if (r < 0)
                return detect_warn_file(m, path, r);
        type = strtol(value, &end, 10);
        if (end != value && *end == '\0' && type > 0 && type < 256) {
                m->board.chassis_type = (int)type;
                m->board.laptop = portable((int)type);
        }
        free(value);
        return 0;
}

int detect_board(const struct sysroot *sr, struct machine *m)
{
        for (size_t i = 0; i < sizeof(dmi_fields) / sizeof(dmi_fields[0]); i++) {
                char path[64], *value, **slot;
                int r;

                snprintf(path, sizeof(path), "sys/class/dmi/id/%s", dmi_fields[i].file);
                r = sysroot_read_line(sr, path, &value);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        r = detect_warn_file(m, path, r);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (placeholder(value)) {
                        free(value);
                        continue;
                }
                slot = (char **)((char *)&m->board + dmi_fields[i].offset);
                *slot = value;
        }
        return chassis(sr, m);
}
