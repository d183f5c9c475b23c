/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

/* Appends to found every existing path matching pattern below base; paths come out absolute. */
static int glob_in_root(const struct sysroot *sr, const char *base, const char *pattern, struct strv *found)
{
        const char *slash = strchr(pattern, '/');
        size_t len = slash ? (size_t)(slash - pattern) : strlen(pattern);
        char *component, *path;
        struct strv names = { 0 };
        int r = 0;

        component = strndup(pattern, len);
        if (!component)
                return -ENOMEM;
        if (!strpbrk(component, "*?[")) {
                if (asprintf(&path, "%s/%s", base, component) < 0)
                        r = -ENOMEM;
                else if (!slash)
                        r = sysroot_exists(sr, path) ? strv_consume(found, path) : (free(path), 0);
                else {
                        r = glob_in_root(sr, path, slash + 1, found);
                        free(path);
                }
                free(component);
                return r;
        }
        if (sysroot_list(sr, base, &names) < 0) {
                free(component);
                return 0;
        }
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                if (fnmatch(component, names.v[i], FNM_PERIOD) != 0)
                        continue;
                if (asprintf(&path, "%s/%s", base, names.v[i]) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (!slash)
                        r = strv_consume(found, path);
                else {
                        r = glob_in_root(sr, path, slash + 1, found);
                        free(path);
                }
        }
        strv_free(&names);
        free(component);
        return r;
}

static const char *const esp_fallbacks[] = { "/efi", "/boot", "/boot/efi" };

int probe_score(const struct sysroot *sr, const struct machine *m, const struct probe *rows, size_t n_rows,
                const struct probe_bonus *bonus, size_t n_bonus, int n_kinds, const char *(*kind_name)(int kind),
                struct evidence_result *ret)
{
        struct strv *why = calloc((size_t)n_kinds, sizeof(*why));
        int *score = calloc((size_t)n_kinds, sizeof(*score));
        int best = 0, r = 0;

        if (!why || !score) {
                free(why);
                free(score);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_rows && r >= 0; i++) {
                struct strv found = { 0 };
                const struct probe *p = &rows[i];

                if (!p->on_esp)
                        r = glob_in_root(sr, "", p->path, &found);
                else if (m->esp.path)
                        r = glob_in_root(sr, m->esp.path, p->path, &found);
                else
                        for (size_t k = 0; k < 3 && r >= 0 && found.n == 0; k++)
                                r = glob_in_root(sr, esp_fallbacks[k], p->path, &found);
                if (r >= 0 && found.n > 0) {
                        score[p->kind] += p->weight;
                        for (size_t k = 0; k < found.n && k < 3 && r >= 0; k++)
                                r = strv_push(&why[p->kind], found.v[k]);
                        if (r >= 0 && found.n > 3)
                                r = strv_pushf(&why[p->kind], "... and %zu more like %s", found.n - 3, p->path);
                }
                strv_free(&found);
        }
        for (size_t i = 0; i < n_bonus && r >= 0; i++) {
                if (bonus[i].needs_files && score[bonus[i].kind] == 0)
                        continue;
                score[bonus[i].kind] += bonus[i].weight;
                r = strv_push(&why[bonus[i].kind], bonus[i].why);
        }
        for (int k = 0; k < n_kinds && r >= 0; k++)
                if (score[k] > score[best])
                        best = k;
        if (r >= 0) {
                ret->kind = best;
                ret->evidence = why[best];
                why[best] = (struct strv){ 0 };
                for (int k = 1; k < n_kinds && r >= 0; k++)
                        if (k != best && score[k] > 0)
                                r = strv_push(&ret->also_found, kind_name(k));
        }
        for (int k = 0; k < n_kinds; k++)
                strv_free(&why[k]);
        free(why);
        free(score);
        return r;
}
