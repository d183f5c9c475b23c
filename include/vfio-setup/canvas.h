/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/*
 * What a wizard screen draws into: a grid of characters, each with a
 * semantic role.  The terminal front end maps roles to colours and the line
 * characters to the terminal's; tests print the grid as text.
 */
enum role_id {
        CR_NORMAL, CR_TITLE, CR_OK, CR_WARNING, CR_PROBLEM, CR_DIM, CR_SELECTED, CR_KEY, CR_BORDER, _CR_MAX
};

/*
 * Line-drawing cells; printed as '-', '|' and '+' where no line characters exist.  CANVAS_CUT
 * ends text cut at its box's right edge ('>' in dumps and without line characters), CANVAS_MORE
 * ends the box's last row when text went on below it ('v'); CANVAS_MORE_ABOVE marks a list's
 * first row when rows are scrolled out above it ('^').
 */
enum { CANVAS_HLINE = 1, CANVAS_VLINE, CANVAS_ULCORNER, CANVAS_URCORNER, CANVAS_LLCORNER, CANVAS_LRCORNER, CANVAS_CUT,
       CANVAS_MORE, CANVAS_MORE_ABOVE };
/* Ends a row whose text goes on in the next one. */
#define CANVAS_CONTINUED '\\'


struct canvas_rect {
        int y, x, h, w;
};

/*
 * Every write goes to the current box (canvas_clip; the whole canvas at first).  Text that
 * reaches the box's right edge is cut there with CANVAS_CUT, text below its last row is left
 * out with CANVAS_MORE at that row's end (both counted in cuts); any other write outside the
 * box is not drawn but counted in overruns, with the first one's place: the tests fail on it.
 */
struct canvas {
        int w, h;
        char *ch;
        unsigned char *role;
        struct canvas_rect clip;
        unsigned overruns, cuts;
        int overrun_y, overrun_x;
};

int canvas_init(struct canvas *c, int w, int h);
/* Writes go to h rows and w columns from (y, x), within the box before, from now on; returns that box. */
struct canvas_rect canvas_clip(struct canvas *c, int y, int x, int h, int w);
void canvas_unclip(struct canvas *c, struct canvas_rect before);
void canvas_free(struct canvas *c);
void canvas_clear(struct canvas *c);
/* Text at (y, x), cut with a mark at the box's right edge; returns the column after it. */
int canvas_text(struct canvas *c, int y, int x, enum role_id role, const char *text);
int canvas_printf(struct canvas *c, int y, int x, enum role_id role, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
/*
 * Text wrapped at word boundaries into width columns from (y, x); returns the
 * row after it.  A line of the text that starts with "N. " or "- " continues
 * under its first word, so that numbered and bulleted items stay readable.
 */
int canvas_wrap(struct canvas *c, int y, int x, int width, enum role_id role, const char *text);
/* The columns from x to the box's right edge: what a wrap starting there may take. */
int canvas_room(const struct canvas *c, int x);
/* How many rows canvas_wrap takes for text in width columns. */
int canvas_wrap_rows(int width, const char *text);
/*
 * A line whose every character counts (a diff line, a command line) cut into
 * rows of width columns: at a space in the row's second half where there is
 * one (no word split), else at the edge; each row but the last ends with
 * CANVAS_CONTINUED, and the rows after the first are indented by two.
 * canvas_cut_rows says how many rows a line of len characters takes.
 */
int canvas_cut_rows(const char *text, size_t len, int width);
/* Draws row `row` (from 0) of such a line at (y, x). */
void canvas_cut_draw(struct canvas *c, int y, int x, int width, enum role_id role, const char *text, size_t len, int row);
/* "v more below" / "^ more above" at (y, x). */
void canvas_more(struct canvas *c, int y, int x, bool below);
/* A scrolled list's marks in the box's last column, which text leaves free: ^ on its first row, v on its last. */
void canvas_more_marks(struct canvas *c, int first_row, int last_row, bool above, bool below);
void canvas_hline(struct canvas *c, int y, int x, int len);
void canvas_box(struct canvas *c, int y, int x, int h, int w);
void canvas_fill(struct canvas *c, int y, int x, int h, int w, enum role_id role);
/*
 * A text taller than its room, scrolled: rows from..from+room of what draw() puts on a canvas
 * of the same width, copied to row y; when not all show, the last row says which do and the
 * keys that scroll.  Returns the text's whole height (0 when the canvas could not be made).
 */
int canvas_scrolled(struct canvas *c, int y, int room, int from, void (*draw)(struct canvas *, const void *),
                    const void *data, const char *keys);
/* The rows what draw() puts on a canvas of width columns takes, as canvas_scrolled counts them. */
int canvas_measure(int width, void (*draw)(struct canvas *, const void *), const void *data);
/* The keys canvas_scrolled names where every scrolling key is free. */
#define CANVAS_SCROLL_KEYS "Up/Down, PgUp/PgDn, Home/End scroll"
/* The grid as text, lines without trailing blanks. */
char *canvas_dump(const struct canvas *c);
