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
        c->clip = (struct canvas_rect){ 0, 0, c->h, c->w };
        c->overruns = c->cuts = 0;
        c->overrun_y = c->overrun_x = -1;
}

struct canvas_rect canvas_clip(struct canvas *c, int y, int x, int h, int w)
{
        struct canvas_rect before = c->clip;
        int bottom = y + h, right = x + w;

        /* Within the box before: a box in a box never reaches past the outer one. */
        y = y > before.y ? y : before.y;
        x = x > before.x ? x : before.x;
        bottom = bottom < before.y + before.h ? bottom : before.y + before.h;
        right = right < before.x + before.w ? right : before.x + before.w;
        c->clip = (struct canvas_rect){ y, x, bottom > y ? bottom - y : 0, right > x ? right - x : 0 };
        return before;
}

void canvas_unclip(struct canvas *c, struct canvas_rect before)
{
        c->clip = before;
}

static bool inside(const struct canvas *c, int y, int x)
{
        return y >= c->clip.y && y < c->clip.y + c->clip.h && x >= c->clip.x && x < c->clip.x + c->clip.w;
}

static void put(struct canvas *c, int y, int x, char ch, enum role_id role)
{
        if (!inside(c, y, x)) {
                if (c->overruns++ == 0) {
                        c->overrun_y = y;
                        c->overrun_x = x;
                }
                return;
        }
        c->ch[y * c->w + x] = ch;
        c->role[y * c->w + x] = (unsigned char)role;
}

int canvas_room(const struct canvas *c, int x)
{
        int room = c->clip.x + c->clip.w - x;

        return room > 0 ? room : 0;
}

/*
 * Text (from the tree, too) is never a control character nor a line glyph's
 * code: what the terminal cannot show as one cell becomes '?' (names are
 * ASCII in the PCI database).
 */
static void put_text(struct canvas *c, int y, int x, char ch, enum role_id role)
{
        int last = c->clip.y + c->clip.h - 1;

        /* Below the box: left out, and the box's last row says so. */
        if (y > last && last >= c->clip.y && x >= c->clip.x && x < c->clip.x + c->clip.w) {
                if (c->ch[last * c->w + c->clip.x + c->clip.w - 1] != CANVAS_MORE)
                        c->cuts++;
                c->ch[last * c->w + c->clip.x + c->clip.w - 1] = CANVAS_MORE;
                c->role[last * c->w + c->clip.x + c->clip.w - 1] = CR_DIM;
                return;
        }
        put(c, y, x, (ch >= 0 && ch < 32) || ch == 127 || ch < 0 ? '?' : ch, role);
}

int canvas_text(struct canvas *c, int y, int x, enum role_id role, const char *text)
{
        int right = c->clip.x + c->clip.w;

        for (; *text; text++, x++) {
                if (x == right - 1 && text[1] && x >= c->clip.x) {
                        put(c, y, x, CANVAS_CUT, CR_DIM);
                        c->cuts++;
                        return right;
                }
                put_text(c, y, x, *text, role);
        }
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
        /* A wrap is never wider than its box: rows past the edge would be lost letters. */
        if (width > canvas_room(c, x) && canvas_room(c, x) >= 8)
                width = canvas_room(c, x);
        return y + wrap(c, y, x, width, role, text);
}

int canvas_wrap_rows(int width, const char *text)
{
        return wrap(NULL, 0, 0, width, CR_NORMAL, text);
}

/*
 * How many characters from start go on one row of room columns: all that fit, or up to the
 * last space in the row's second half, so that a word is split only when it is longer.
 */
static size_t cut_take(const char *text, size_t len, size_t start, size_t room)
{
        size_t take = room;

        if (len - start <= room)
                return len - start;
        while (take > room / 2 && text[start + take - 1] != ' ')
                take--;
        return take > room / 2 ? take : room;
}

/* The first row takes width - 1 columns (the mark after it), the others width - 3 (two of indent). */
static size_t cut_room(int width, int row, bool last)
{
        return (size_t)width - (row == 0 ? 1 : 3) + (last ? 1 : 0);
}

int canvas_cut_rows(const char *text, size_t len, int width)
{
        size_t at = 0;
        int rows = 0;

        if (width < 8)
                width = 8;
        if (len <= (size_t)width)
                return 1;
        while (at < len) {
                /* The last row needs no mark: one more column. */
                bool last = len - at <= cut_room(width, rows, true);

                at += last ? len - at : cut_take(text, len, at, cut_room(width, rows, false));
                rows++;
        }
        return rows;
}

void canvas_cut_draw(struct canvas *c, int y, int x, int width, enum role_id role, const char *text, size_t len, int row)
{
        size_t at = 0, take = len;

        if (width < 8)
                width = 8;
        if (len <= (size_t)width) {
                if (row == 0)
                        for (size_t i = 0; i < len; i++)
                                put_text(c, y, x + (int)i, text[i], role);
                return;
        }
        for (int r = 0; r <= row && at < len; r++) {
                bool last = len - at <= cut_room(width, r, true);

                take = last ? len - at : cut_take(text, len, at, cut_room(width, r, false));
                if (r < row)
                        at += take;
        }
        if (at >= len)
                return;
        for (size_t i = 0; i < take; i++)
                put_text(c, y, x + (row ? 2 : 0) + (int)i, text[at + i], role);
        if (at + take < len)
                put(c, y, x + width - 1, CANVAS_CONTINUED, CR_DIM);
}

void canvas_more(struct canvas *c, int y, int x, bool below)
{
        canvas_text(c, y, x, CR_DIM, below ? "v more below" : "^ more above");
}

void canvas_more_marks(struct canvas *c, int first_row, int last_row, bool above, bool below)
{
        if (above)
                put(c, first_row, c->clip.x + c->clip.w - 1, CANVAS_MORE_ABOVE, CR_DIM);
        if (below)
                put(c, last_row, c->clip.x + c->clip.w - 1, CANVAS_MORE, CR_DIM);
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

/* Where the last text drawn on c ends: its height. */
static int drawn_rows(const struct canvas *c)
{
        int rows = 0;

        for (int y = 0; y < c->h; y++)
                for (int x = 0; x < c->w; x++)
                        if (c->ch[y * c->w + x] != ' ')
                                rows = y + 1;
        return rows;
}

int canvas_measure(int width, void (*draw)(struct canvas *, const void *), const void *data)
{
        struct canvas all;
        int rows;

        if (canvas_init(&all, width, 512) < 0)
                return 0;
        draw(&all, data);
        rows = drawn_rows(&all);
        canvas_free(&all);
        return rows;
}

int canvas_scrolled(struct canvas *c, int y, int room, int from, void (*draw)(struct canvas *, const void *),
                    const void *data, const char *keys)
{
        struct canvas all;
        int rows, shown;

        /* Drawn whole first: its height is where its last text ended. */
        if (room < 2 || canvas_init(&all, c->clip.w, 512) < 0)
                return 0;
        draw(&all, data);
        rows = drawn_rows(&all);
        shown = rows > room ? room - 1 : rows;
        if (from > rows - shown)
                from = rows - shown > 0 ? rows - shown : 0;
        for (int r = 0; r < shown; r++)
                for (int x = 0; x < all.w; x++)
                        if (inside(c, y + r, c->clip.x + x)) {
                                c->ch[(y + r) * c->w + c->clip.x + x] = all.ch[(from + r) * all.w + x];
                                c->role[(y + r) * c->w + c->clip.x + x] = all.role[(from + r) * all.w + x];
                        }
        if (shown < rows)
                canvas_printf(c, y + room - 1, c->clip.x + 2, CR_DIM, "rows %d-%d of %d; %s", from + 1, from + shown, rows,
                              keys);
        canvas_free(&all);
        return rows;
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
                        *p++ = ch == CANVAS_HLINE ? '-' : ch == CANVAS_VLINE ? '|' : ch == CANVAS_CUT ? '>'
                               : ch == CANVAS_MORE ? 'v' : ch == CANVAS_MORE_ABOVE ? '^' : ch >= CANVAS_ULCORNER && ch <= CANVAS_LRCORNER ? '+' : ch;
                }
                while (p > line && p[-1] == ' ')
                        p--;
                *p++ = '\n';
        }
        *p = '\0';
        return out;
}
