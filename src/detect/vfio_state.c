/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/kcmdline.h"

/* modprobe.d(5) directories, highest priority first: a file name seen earlier hides later ones. */
static const char *const modprobe_dirs[] = {
        "etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "usr/lib/modprobe.d", "lib/modprobe.d",
};

static const char *const module_dirs[] = { "lib/modules", "usr/lib/modules" };

static int add_id(struct vfio_state *v, const char *id, size_t len, const char *source)
{
        struct vfio_id_source *ids;
        unsigned vendor, device;
        char buf[16];
        int used = 0;

        /* vendor:device[:subvendor...]; only the first two fields pick the device. */
        if (len >= sizeof(buf))
                len = sizeof(buf) - 1;
        memcpy(buf, id, len);
        buf[len] = '\0';
        if (sscanf(buf, "%4x:%4x%n", &vendor, &device, &used) != 2 || (buf[used] && buf[used] != ':'))
                return 0;
        ids = realloc(v->ids, (v->n_ids + 1) * sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        v->ids = ids;
        if (asprintf(&ids[v->n_ids].id, "%04x:%04x", vendor, device) < 0)
                return -ENOMEM;
        if (!(ids[v->n_ids].source = strdup(source))) {
                free(ids[v->n_ids].id);
                return -ENOMEM;
        }
        v->n_ids++;
        return 0;
}

static int add_id_list(struct vfio_state *v, const char *list, const char *source)
{
        int r = 0;

        for (const char *p = list; *p && r >= 0;) {
                size_t len = strcspn(p, ",");

                r = add_id(v, p, len, source);
                p += len;
                if (*p == ',')
                        p++;
        }
        return r;
}

static int from_cmdline(struct machine *m)
{
        int r = 0;

        for (size_t i = 0; i < m->iommu.cmdline_tokens.n && r >= 0; i++) {
                char *key, *value;

                r = kcmdline_parse_token(m->iommu.cmdline_tokens.v[i], &key, &value);
                if (r < 0)
                        break;
                if (value && kcmdline_key_equal(key, "vfio_pci.ids"))
                        r = add_id_list(&m->vfio, value, "kernel command line");
                free(key);
                free(value);
        }
        return r;
}

/* One logical line of modprobe.d: "options vfio-pci ids=a:b,c:d other=x". */
static int options_line(struct machine *m, char *line, const char *source)
{
        char *words[64], *save = NULL;
        size_t n = 0;
        int r = 0;

        for (char *w = strtok_r(line, " \t\r", &save); w && n < 64; w = strtok_r(NULL, " \t\r", &save)) {
                if (w[0] == '#')
                        break;
                words[n++] = w;
        }
        if (n < 3 || strcmp(words[0], "options") != 0 || !kcmdline_key_equal(words[1], "vfio_pci"))
                return 0;
        for (size_t i = 2; i < n && r >= 0; i++)
                if (startswith(words[i], "ids="))
                        r = add_id_list(&m->vfio, words[i] + 4, source);
        return r;
}

static int from_modprobe_file(const struct sysroot *sr, struct machine *m, const char *path)
{
        char *content, *p, source[1024];
        unsigned lineno = 1;
        int r;

        r = sysroot_read(sr, path, 1024 * 1024, &content, NULL);
        if (r < 0)
                return detect_warn_file(m, path, r);
        for (p = content; *p && r >= 0;) {
                unsigned first = lineno;
                char *start = p, *w = p;

                /* A backslash before the newline continues the line (modprobe.d(5)). */
                for (; *p && *p != '\n'; p++) {
                        if (p[0] == '\\' && p[1] == '\n') {
                                *w++ = ' ';
                                p++;
                                lineno++;
                                continue;
                        }
                        *w++ = *p;
                }
                if (*p == '\n') {
                        p++;
                        lineno++;
                }
                *w = '\0';
                snprintf(source, sizeof(source), "/%s:%u", path, first);
                r = options_line(m, start, source);
        }
        free(content);
        return r;
}

static bool conf_name(const char *name)
{
        size_t len = strlen(name);

        return len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

static int from_modprobe_d(const struct sysroot *sr, struct machine *m)
{
        struct strv seen = { 0 };
        int r = 0;

        for (size_t d = 0; d < sizeof(modprobe_dirs) / sizeof(modprobe_dirs[0]) && r >= 0; d++) {
                struct strv names = { 0 };

                if (sysroot_list(sr, modprobe_dirs[d], &names) < 0)
                        continue;
                for (size_t i = 0; i < names.n && r >= 0; i++) {
                        char path[512];

                        if (!conf_name(names.v[i]) || strv_contains(&seen, names.v[i]))
                                continue;
                        r = strv_push(&seen, names.v[i]);
                        snprintf(path, sizeof(path), "%s/%s", modprobe_dirs[d], names.v[i]);
                        if (r >= 0)
                                r = from_modprobe_file(sr, m, path);
                }
                strv_free(&names);
        }
        strv_free(&seen);
        return r;
}

static int builtin(const struct sysroot *sr, struct machine *m)
{
        m->vfio.builtin = TRI_UNKNOWN;
        if (!m->vfio.kernel)
                return 0;
        for (size_t i = 0; i < sizeof(module_dirs) / sizeof(module_dirs[0]); i++) {
                char path[512], *content, *line, *save = NULL;

                snprintf(path, sizeof(path), "%s/%s/modules.builtin", module_dirs[i], m->vfio.kernel);
                if (sysroot_read(sr, path, 0, &content, NULL) < 0)
                        continue;
                m->vfio.builtin = TRI_NO;
                for (line = strtok_r(content, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        const char *base = strrchr(line, '/');

                        base = base ? base + 1 : line;
                        /* The object is vfio-pci.ko; the module name normalises to vfio_pci. */
                        if (strcmp(base, "vfio-pci.ko") == 0 || strcmp(base, "vfio_pci.ko") == 0)
                                m->vfio.builtin = TRI_YES;
                }
                free(content);
                return 0;
        }
        return 0;
}

static int tool_state(const struct sysroot *sr, struct machine *m)
{
        size_t len, line = 0;
        char *text;
        int r;

        r = sysroot_read(sr, STATE_PATH, STATE_MAX + 1, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r >= 0) {
                r = len > STATE_MAX ? -EFBIG : state_parse(text, &m->vfio.tool, &line);
                free(text);
        }
        if (r == -ENOMEM)
                return r;
        /* What vfio-setup set up cannot be known: nothing may be planned over it. */
        if (r == -EBADMSG)
                r = asprintf(&m->vfio.tool_error, "/%s:%zu: a line vfio-setup cannot read", STATE_PATH, line);
        else if (r < 0)
                r = asprintf(&m->vfio.tool_error, "/%s: %s", STATE_PATH, vs_strerror(r));
        if (r < 0)
                return -ENOMEM;
        return m->vfio.tool_error ? strv_pushf(&m->warnings, "%s", m->vfio.tool_error) : 0;
}

int detect_vfio_state(const struct sysroot *sr, struct machine *m)
{
        int r;

        r = sysroot_read_line(sr, "proc/sys/kernel/osrelease", &m->vfio.kernel);
        if (r < 0 && (r = detect_warn_file(m, "proc/sys/kernel/osrelease", r)) < 0)
                return r;
        r = builtin(sr, m);
        if (r >= 0)
                r = from_cmdline(m);
        if (r >= 0)
                r = from_modprobe_d(sr, m);
        if (r >= 0)
                r = tool_state(sr, m);
        for (size_t i = 0; i < m->n_devices && r >= 0; i++)
                if (m->devices[i].driver && strcmp(m->devices[i].driver, "vfio-pci") == 0)
                        r = strv_push(&m->vfio.bound, m->devices[i].address);
        return r;
}
