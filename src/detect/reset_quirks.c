/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/datadir.h"
#include "vfio-setup/reset_quirks.h"

struct reset_quirks {
        struct quirk {
                uint16_t vendor_id, device_id;
                size_t family;          /* index into families */
        } *v;
        size_t n;
        char **families;
        size_t n_families;
};

static int add_family(struct reset_quirks *q, const char *name)
{
        char **f = realloc(q->families, (q->n_families + 1) * sizeof(*f));

        if (!f)
                return -ENOMEM;
        q->families = f;
        f[q->n_families] = strdup(name);
        return f[q->n_families] ? (int)q->n_families++ : -ENOMEM;
}

static int add_quirk(struct reset_quirks *q, unsigned long vendor_id, unsigned long device_id, size_t family)
{
        struct quirk *v = realloc(q->v, (q->n + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        q->v = v;
        v[q->n++] = (struct quirk){ (uint16_t)vendor_id, (uint16_t)device_id, family };
        return 0;
}

/*
 * One family a line: name<TAB>vendor id<TAB>device ids, space-separated, hex<TAB>where they
 * come from; lines that do not parse are skipped.
 */
static int parse_line(struct reset_quirks *q, char *line)
{
        char *vendor = strchr(line, '\t'), *ids, *source, *end, *save = NULL;
        unsigned long vendor_id;
        int family;
        int r = 0;

        if (line[0] == '#' || !vendor || !(ids = strchr(vendor + 1, '\t')))
                return 0;
        *vendor++ = '\0';
        *ids++ = '\0';
        if ((source = strchr(ids, '\t')))
                *source = '\0';
        vendor_id = strtoul(vendor, &end, 16);
        if (*end != '\0' || vendor_id > 0xffff)
                return 0;
        family = add_family(q, line);
        for (char *id = strtok_r(ids, " ", &save); id && family >= 0 && r >= 0; id = strtok_r(NULL, " ", &save)) {
                unsigned long device_id = strtoul(id, &end, 16);

                if (*end == '\0' && device_id <= 0xffff)
                        r = add_quirk(q, vendor_id, device_id, (size_t)family);
        }
        return family < 0 ? family : r;
}

int reset_quirks_load(struct reset_quirks **ret)
{
        struct reset_quirks *q;
        char *text = NULL, *save = NULL;
        int r;

        r = data_read("reset-quirks", &text);
        if (r < 0)
                return r;
        q = calloc(1, sizeof(*q));
        r = q ? 0 : -ENOMEM;
        for (char *line = strtok_r(text, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save))
                r = parse_line(q, line);
        free(text);
        if (r < 0) {
                reset_quirks_free(q);
                return r;
        }
        *ret = q;
        return 0;
}

const char *reset_quirks_find(const struct reset_quirks *q, uint16_t vendor_id, uint16_t device_id)
{
        for (size_t i = 0; q && i < q->n; i++)
                if (q->v[i].vendor_id == vendor_id && q->v[i].device_id == device_id)
                        return q->families[q->v[i].family];
        return NULL;
}

void reset_quirks_free(struct reset_quirks *q)
{
        if (!q)
                return;
        for (size_t i = 0; i < q->n_families; i++)
                free(q->families[i]);
        free(q->families);
        free(q->v);
        free(q);
}
