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
enum { CANVAS_HLINE = 1, CANVAS_VLINE = 2, CANVAS_CORNER = 3 };

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
/* Text wrapped at word boundaries into width columns from (y, x); returns the row after it. */
int canvas_wrap(struct canvas *c, int y, int x, int width, enum role_id role, const char *text);
void canvas_hline(struct canvas *c, int y, int x, int len);
void canvas_box(struct canvas *c, int y, int x, int h, int w);
void canvas_fill(struct canvas *c, int y, int x, int h, int w, enum role_id role);
/* The grid as text, lines without trailing blanks. */
char *canvas_dump(const struct canvas *c);
