/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/canvas.h"

int canvas_init(struct canvas *c, int w, int h)
{
        c->w = w;
        c->h = h;
        c->ch = malloc((size_t)(w * h));
        c->role = malloc((size_t)(w * h));
        if (!c->ch || !c->role) {
                canvas_free(c);
                return -ENOMEM;
        }
        canvas_clear(c);
        return 0;
}

void canvas_free(struct canvas *c)
{
        free(c->ch);
        free(c->role);
        c->ch = NULL;
        c->role = NULL;
}

void canvas_clear(struct canvas *c)
{
        memset(c->ch, ' ', (size_t)(c->w * c->h));
        memset(c->role, CR_NORMAL, (size_t)(c->w * c->h));
}

static void put(struct canvas *c, int y, int x, char ch, enum role_id role)
{
        if (y < 0 || y >= c->h || x < 0 || x >= c->w)
                return;
        c->ch[y * c->w + x] = ch;
        c->role[y * c->w + x] = (unsigned char)role;
}

/*
 * Text (from the tree, too) is never a control character nor a line glyph's
 * code: what the terminal cannot show as one cell becomes '?' (names are
 * ASCII in the PCI database).
 */
static void put_text(struct canvas *c, int y, int x, char ch, enum role_id role)
{
        put(c, y, x, (ch >= 0 && ch < 32) || ch == 127 || ch < 0 ? '?' : ch, role);
}

int canvas_text(struct canvas *c, int y, int x, enum role_id role, const char *text)
{
        for (; *text; text++, x++)
                put_text(c, y, x, *text, role);
        return x;
}

int canvas_printf(struct canvas *c, int y, int x, enum role_id role, const char *fmt, ...)
{
        va_list ap;
        char *s;
        int end = x;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) >= 0) {
                end = canvas_text(c, y, x, role, s);
                free(s);
        }
        va_end(ap);
        return end;
}

int canvas_wrap(struct canvas *c, int y, int x, int width, enum role_id role, const char *text)
{
        const char *p = text;

        if (width < 8)
                width = 8;
        while (*p) {
                size_t len = strlen(p), cut = len;
                const char *nl = strchr(p, '\n');

                if (nl && (size_t)(nl - p) <= (size_t)width)
                        cut = (size_t)(nl - p);
                else if (len > (size_t)width) {
                        cut = (size_t)width;
                        while (cut > 0 && p[cut] != ' ')
                                cut--;
                        if (cut == 0)
                                cut = (size_t)width;
                }
                for (size_t i = 0; i < cut; i++)
                        put_text(c, y, x + (int)i, p[i], role);
                y++;
                p += cut;
                while (*p == ' ')
                        p++;
                if (*p == '\n')
                        p++;
        }
        return y;
}

void canvas_hline(struct canvas *c, int y, int x, int len)
{
        for (int i = 0; i < len; i++)
                put(c, y, x + i, CANVAS_HLINE, CR_BORDER);
}

void canvas_box(struct canvas *c, int y, int x, int h, int w)
{
        canvas_hline(c, y, x + 1, w - 2);
        canvas_hline(c, y + h - 1, x + 1, w - 2);
        for (int i = 1; i < h - 1; i++) {
                put(c, y + i, x, CANVAS_VLINE, CR_BORDER);
                put(c, y + i, x + w - 1, CANVAS_VLINE, CR_BORDER);
        }
        put(c, y, x, CANVAS_CORNER, CR_BORDER);
        put(c, y, x + w - 1, CANVAS_CORNER, CR_BORDER);
        put(c, y + h - 1, x, CANVAS_CORNER, CR_BORDER);
        put(c, y + h - 1, x + w - 1, CANVAS_CORNER, CR_BORDER);
}

void canvas_fill(struct canvas *c, int y, int x, int h, int w, enum role_id role)
{
        for (int i = 0; i < h; i++)
                for (int k = 0; k < w; k++)
                        put(c, y + i, x + k, ' ', role);
}

char *canvas_dump(const struct canvas *c)
{
        char *out = malloc((size_t)((c->w + 1) * c->h + 1)), *p = out;

        if (!out)
                return NULL;
        for (int y = 0; y < c->h; y++) {
                char *line = p;

                for (int x = 0; x < c->w; x++) {
                        char ch = c->ch[y * c->w + x];
                        *p++ = ch == CANVAS_HLINE ? '-' : ch == CANVAS_VLINE ? '|' : ch == CANVAS_CORNER ? '+' : ch;
                }
                while (p > line && p[-1] == ' ')
                        p--;
                *p++ = '\n';
        }
        *p = '\0';
        return out;
}
