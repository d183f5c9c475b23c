/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/users.h"

#define UID_MIN 1000ul
#define UID_MAX 60000ul

static const char *const no_login[] = { "nologin", "false" };

static bool logs_in(const char *shell)
{
        const char *base = strrchr(shell, '/');

        base = base ? base + 1 : shell;
        for (size_t i = 0; i < sizeof(no_login) / sizeof(no_login[0]); i++)
                if (strcmp(base, no_login[i]) == 0)
                        return false;
        return *base != '\0';
}

/* Splits a passwd line in place; false when it has not its seven fields. */
static bool passwd_fields(char *line, char *fields[7])
{
        char *p = line;
        size_t n = 0;

        for (; n < 7 && p; n++) {
                fields[n] = p;
                p = strchr(p, ':');
                if (p)
                        *p++ = '\0';
        }
        return n == 7 && *fields[0];
}

int user_uid(const struct sysroot *sr, const char *name, uid_t *ret)
{
        char *text, *line, *save = NULL, *fields[7], *end;
        unsigned long uid;
        int r;

        r = sysroot_read(sr, "etc/passwd", 0, &text, NULL);
        if (r < 0)
                return r;
        r = -ESRCH;
        for (line = strtok_r(text, "\n", &save); line && r == -ESRCH; line = strtok_r(NULL, "\n", &save)) {
                if (!passwd_fields(line, fields) || strcmp(fields[0], name) != 0)
                        continue;
                uid = strtoul(fields[2], &end, 10);
                if (*end || end == fields[2] || uid > 0xfffffffeul)
                        continue;
                *ret = (uid_t)uid;
                r = 0;
        }
        free(text);
        return r;
}

int local_users(const struct sysroot *sr, struct strv *ret)
{
        struct strv users = { 0 };
        char *text, *line, *save = NULL;
        int r;

        r = sysroot_read(sr, "etc/passwd", 0, &text, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        /* name:password:uid:gid:gecos:home:shell */
        for (line = strtok_r(text, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                char *fields[7], *end;
                unsigned long uid;

                if (!passwd_fields(line, fields))
                        continue;
                uid = strtoul(fields[2], &end, 10);
                if (*end || uid < UID_MIN || uid >= UID_MAX || !logs_in(fields[6]))
                        continue;
                r = strv_push(&users, fields[0]);
        }
        free(text);
        if (r < 0) {
                strv_free(&users);
                return r;
        }
        *ret = users;
        return 0;
}
