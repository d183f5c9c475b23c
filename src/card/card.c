/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/card.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/pciaddr.h"

/* "IOMMU Group 14" with an optional colon; returns the rest of the line, or NULL. */
static const char *group_prefix(const char *s, int *ret)
{
        char *end;
        long v;

        while (isspace((unsigned char)*s))
                s++;
        if (strncasecmp(s, "IOMMU Group ", 12) != 0)
                return NULL;
        v = strtol(s + 12, &end, 10);
        if (end == s + 12 || v < 0)
                return NULL;
        while (isspace((unsigned char)*end))
                end++;
        if (*end == ':')
                end++;
        while (isspace((unsigned char)*end))
                end++;
        *ret = (int)v;
        return end;
}

/* First "[xxxx]:" (the class), then the first "[xxxx:xxxx]" after it (the ids). */
static int parse_device(const char *s, int group, struct card_device *ret)
{
        struct card_device d = { .group = group };
        const char *p, *cls = NULL, *ids = NULL;
        char addr[32];
        size_t len = strcspn(s, " \t");
        unsigned v, w;

        if (len == 0 || len >= sizeof(addr))
                return -EINVAL;
        memcpy(addr, s, len);
        addr[len] = '\0';
        if (pci_address_parse(addr, &d.domain, &d.bus, &d.dev, &d.func) < 0)
                return -EINVAL;
        for (p = s + len; (p = strchr(p, '[')); p++)
                if (hex_n(p + 1, 4, &v) && p[5] == ']' && p[6] == ':') {
                        cls = p;
                        d.class_id = (uint16_t)v;
                        break;
                }
        if (!cls)
                return -EINVAL;
        for (p = cls + 7; (p = strchr(p, '[')); p++)
                if (hex_n(p + 1, 4, &v) && p[5] == ':' && hex_n(p + 6, 4, &w) && p[10] == ']') {
                        ids = p + 11;
                        d.vendor_id = (uint16_t)v;
                        d.device_id = (uint16_t)w;
                        break;
                }
        if (!ids)
                return -EINVAL;
        if ((p = strstr(ids, "(rev ")) && hex_n(p + 5, 2, &v))
                d.revision = (uint8_t)v;
        if ((p = strstr(ids, "(prog-if ")) && hex_n(p + 9, 2, &v))
                d.prog_if = (uint8_t)v;
        *ret = d;
        return 0;
}

static int add_device(struct card *c, const struct card_device *d)
{
        struct card_device *v = realloc(c->devices, (c->n_devices + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        c->devices = v;
        c->devices[c->n_devices++] = *d;
        return 0;
}

int card_parse(const char *text, const char *dir, struct card *ret)
{
        struct card c = { 0 };
        char *copy, *line, *save = NULL;
        int group = -1, r = 0;

        copy = strdup(text);
        c.dir = strdup(dir ? dir : ".");
        if (!copy || !c.dir) {
                free(copy);
                free(c.dir);
                return -ENOMEM;
        }
        for (line = strtok_r(copy, "\r\n", &save); line && r >= 0; line = strtok_r(NULL, "\r\n", &save)) {
                struct card_device d;
                const char *rest;
                int g;

                if (line[0] == '#') {
                        char *colon = strchr(line, ':'), *key = line + 1;

                        while (isspace((unsigned char)*key))
                                key++;
                        /* "# key: value"; any other comment is a comment. */
                        if (!colon || strcspn(key, " \t") < (size_t)(colon - key))
                                continue;
                        *colon = '\0';
                        for (char *k = key; *k; k++)
                                *k = (char)tolower((unsigned char)*k);
                        r = strv_pushf(&c.keys, "%s\t%s", key, strip(colon + 1));
                        continue;
                }
                rest = group_prefix(line, &g);
                if (rest && !*rest) {
                        group = g;
                        continue;
                }
                if (parse_device(rest ? rest : strip(line), rest ? g : group, &d) == 0)
                        r = add_device(&c, &d);
        }
        free(copy);
        if (r >= 0 && c.n_devices == 0)
                r = -VS_E_CARD_EMPTY;
        if (r < 0) {
                card_free(&c);
                return r;
        }
        *ret = c;
        return 0;
}

int card_load(const char *path, struct card *ret)
{
        char *text = NULL, *copy;
        size_t len = 0;
        FILE *f;
        int r;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (getdelim(&text, &len, '\0', f) < 0 && !feof(f)) {
                r = -errno;
                free(text);
                fclose(f);
                return r;
        }
        fclose(f);
        copy = strdup(path);
        if (!copy || !text) {
                free(copy);
                free(text);
                return text ? -ENOMEM : -VS_E_CARD_EMPTY;
        }
        r = card_parse(text, dirname(copy), ret);
        free(copy);
        free(text);
        return r;
}

void card_free(struct card *c)
{
        free(c->dir);
        free(c->devices);
        strv_free(&c->keys);
        *c = (struct card){ 0 };
}
