/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vfio-setup/datadir.h"

int data_path(const char *name, char **ret)
{
        const char *env = getenv("VFIO_SETUP_DATADIR");
        const char *dirs[] = { env && *env ? env : NULL, SOURCE_DATADIR, DATADIR };

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                char *path;

                if (!dirs[i])
                        continue;
                if (asprintf(&path, "%s/%s", dirs[i], name) < 0)
                        return -ENOMEM;
                if (access(path, R_OK) == 0) {
                        *ret = path;
                        return 0;
                }
                free(path);
        }
        return -ENOENT;
}

int data_read(const char *name, char **ret)
{
        char *path, *text = NULL;
        size_t len = 0;
        FILE *f;
        int r = data_path(name, &path);

        if (r < 0)
                return r;
        f = fopen(path, "re");
        free(path);
        if (!f)
                return -errno;
        if (getdelim(&text, &len, '\0', f) < 0) {
                free(text);
                fclose(f);
                return -EIO;
        }
        fclose(f);
        *ret = text;
        return 0;
}
