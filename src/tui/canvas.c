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

/* Where an item's text starts: after "N. " or "- " at the start of a line, else 0. */
static size_t hang_of(const char *line)
{
        size_t i = strspn(line, " ");

        if (line[i] == '-' && line[i + 1] == ' ')
                return i + 2;
        if (line[i] >= '0' && line[i] <= '9') {
                i += strspn(line + i, "0123456789");
                if (line[i] == '.' && line[i + 1] == ' ')
                        return i + 2;
        }
        return 0;
}

/* Wraps text; draws it when c is set.  Returns the number of rows. */
static int wrap(struct canvas *c, int y, int x, int width, enum role_id role, const char *text)
{
        const char *p = text;
        size_t hang = 0;
        int rows = 0;
        bool line_start = true;

        if (width < 8)
                width = 8;
        while (*p) {
                size_t indent = line_start ? 0 : hang, room, len, cut;
                const char *nl;

                if (line_start)
                        hang = hang_of(p);
                if (hang > (size_t)width / 2)
                        hang = 0;
                room = (size_t)width - indent;
                len = strlen(p);
                cut = len;
                nl = strchr(p, '\n');
                if (nl && (size_t)(nl - p) <= room)
                        cut = (size_t)(nl - p);
                else if (len > room) {
                        cut = room;
                        while (cut > 0 && p[cut] != ' ')
                                cut--;
                        if (cut == 0)
                                cut = room;
                }
                for (size_t i = 0; c && i < cut; i++)
                        put_text(c, y + rows, x + (int)(indent + i), p[i], role);
                rows++;
                p += cut;
                line_start = *p == '\n';
                if (!line_start)
                        while (*p == ' ')
                                p++;
                if (*p == '\n') {
                        p++;
                        line_start = true;
                }
        }
        return rows;
}

int canvas_wrap(struct canvas *c, int y, int x, int width, enum role_id role, const char *text)
{
        return y + wrap(c, y, x, width, role, text);
}

int canvas_wrap_rows(int width, const char *text)
{
        return wrap(NULL, 0, 0, width, CR_NORMAL, text);
}

int canvas_cut_rows(size_t len, int width)
{
        int rows = 1;

        if (width < 8)
                width = 8;
        if (len <= (size_t)width)
                return 1;
        len -= (size_t)width - 1;
        while (len > (size_t)width - 2) {
                len -= (size_t)width - 3;
                rows++;
        }
        return rows + 1;
}

void canvas_cut_draw(struct canvas *c, int y, int x, int width, enum role_id role, const char *text, size_t len, int row)
{
        int rows = canvas_cut_rows(len, width);
        size_t start, take;

        if (width < 8)
                width = 8;
        if (rows == 1) {
                for (size_t i = 0; i < len; i++)
                        put_text(c, y, x + (int)i, text[i], role);
                return;
        }
        start = row == 0 ? 0 : (size_t)width - 1 + (size_t)(row - 1) * ((size_t)width - 3);
        if (start >= len)
                return;
        take = row == 0 ? (size_t)width - 1 : row + 1 == rows ? len - start : (size_t)width - 3;
        for (size_t i = 0; i < take && start + i < len; i++)
                put_text(c, y, x + (row ? 2 : 0) + (int)i, text[start + i], role);
        if (row + 1 < rows)
                put(c, y, x + width - 1, CANVAS_CONTINUED, CR_DIM);
}

void canvas_more(struct canvas *c, int y, int x, bool below)
{
        canvas_text(c, y, x, CR_DIM, below ? "v more below" : "^ more above");
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
        put(c, y, x, CANVAS_ULCORNER, CR_BORDER);
        put(c, y, x + w - 1, CANVAS_URCORNER, CR_BORDER);
        put(c, y + h - 1, x, CANVAS_LLCORNER, CR_BORDER);
        put(c, y + h - 1, x + w - 1, CANVAS_LRCORNER, CR_BORDER);
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
                        *p++ = ch == CANVAS_HLINE ? '-' : ch == CANVAS_VLINE ? '|' : ch >= CANVAS_ULCORNER && ch <= CANVAS_LRCORNER ? '+' : ch;
                }
                while (p > line && p[-1] == ' ')
                        p--;
                *p++ = '\n';
        }
        *p = '\0';
        return out;
}
