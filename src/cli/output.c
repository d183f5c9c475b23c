/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <langinfo.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

static const char *const role_escape[] = {
        [ROLE_PLAIN] = "",
        [ROLE_HEADING] = "\033[1m",
        [ROLE_OK] = "\033[32m",
        [ROLE_WARNING] = "\033[33m",
        [ROLE_PROBLEM] = "\033[1;31m",
        [ROLE_DIM] = "\033[2m",
};

void output_init(struct output *o, FILE *f, bool no_color, bool ascii)
{
        const char *nc = getenv("NO_COLOR");

        o->f = f;
        o->color = !no_color && !(nc && *nc) && isatty(fileno(f));
        o->ascii = ascii || strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
}

void output_role(const struct output *o, enum role r, const char *fmt, ...)
{
        va_list ap;

        if (o->color && r != ROLE_PLAIN)
                fputs(role_escape[r], o->f);
        va_start(ap, fmt);
        vfprintf(o->f, fmt, ap);
        va_end(ap);
        if (o->color && r != ROLE_PLAIN)
                fputs("\033[0m", o->f);
}

enum role severity_role(enum severity s)
{
        static const enum role roles[] = {
                [SEVERITY_INFO] = ROLE_DIM,
                [SEVERITY_OK] = ROLE_OK,
                [SEVERITY_WARNING] = ROLE_WARNING,
                [SEVERITY_PROBLEM] = ROLE_PROBLEM,
        };

        return roles[s];
}

const char *output_arrow(const struct output *o)
{
        return o->ascii ? "->" : "\u2192";
}
