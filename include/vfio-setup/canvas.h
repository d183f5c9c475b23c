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

/* Line-drawing cells; printed as '-', '|' and '+' where no line characters exist. */
enum { CANVAS_HLINE = 1, CANVAS_VLINE, CANVAS_ULCORNER, CANVAS_URCORNER, CANVAS_LLCORNER, CANVAS_LRCORNER };
/* Ends a row whose text goes on in the next one. */
#define CANVAS_CONTINUED '\\'


struct canvas {
        int w, h;
        char *ch;
        unsigned char *role;
};

int canvas_init(struct canvas *c, int w, int h);
void canvas_free(struct canvas *c);
void canvas_clear(struct canvas *c);
/* Text at (y, x), cut at the right edge; returns the column after it. */
int canvas_text(struct canvas *c, int y, int x, enum role_id role, const char *text);
int canvas_printf(struct canvas *c, int y, int x, enum role_id role, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
/*
 * Text wrapped at word boundaries into width columns from (y, x); returns the
 * row after it.  A line of the text that starts with "N. " or "- " continues
 * under its first word, so that numbered and bulleted items stay readable.
 */
int canvas_wrap(struct canvas *c, int y, int x, int width, enum role_id role, const char *text);
/* How many rows canvas_wrap takes for text in width columns. */
int canvas_wrap_rows(int width, const char *text);
/*
 * A line whose every character counts (a diff line, a command line) cut into
 * rows of width columns rather than wrapped at words: each row but the last
 * ends with CANVAS_CONTINUED, and the rows after the first are indented by
 * two.  canvas_cut_rows says how many rows a line of len characters takes.
 */
int canvas_cut_rows(size_t len, int width);
/* Draws row `row` (from 0) of such a line at (y, x). */
void canvas_cut_draw(struct canvas *c, int y, int x, int width, enum role_id role, const char *text, size_t len, int row);
/* "v more below" / "^ more above" at (y, x). */
void canvas_more(struct canvas *c, int y, int x, bool below);
void canvas_hline(struct canvas *c, int y, int x, int len);
void canvas_box(struct canvas *c, int y, int x, int h, int w);
void canvas_fill(struct canvas *c, int y, int x, int h, int w, enum role_id role);
/* The grid as text, lines without trailing blanks. */
char *canvas_dump(const struct canvas *c);
