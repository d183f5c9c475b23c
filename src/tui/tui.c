/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio-setup/tui.h"

/*
 * The terminal front end: one loop owns input, KEY_RESIZE and drawing; the
 * wizard only sees keys and a canvas.  Colours are semantic roles mapped
 * once, with a monochrome scheme (attributes only) where colour is off.
 */
static bool curses_on;

static void restore(void)
{
        if (curses_on) {
                endwin();
                curses_on = false;
        }
}

/* The terminal comes back before the signal does its usual work. */
static void on_signal(int sig)
{
        restore();
        signal(sig, SIG_DFL);
        raise(sig);
}

static const struct {
        short fg, bg;
        attr_t mono;
} roles[_CR_MAX] = {
        [CR_NORMAL] = { -1, -1, A_NORMAL },
        [CR_TITLE] = { COLOR_WHITE, COLOR_BLUE, A_REVERSE | A_BOLD },
        [CR_OK] = { COLOR_GREEN, -1, A_NORMAL },
        [CR_WARNING] = { COLOR_YELLOW, -1, A_BOLD },
        [CR_PROBLEM] = { COLOR_RED, -1, A_BOLD },
        [CR_DIM] = { COLOR_CYAN, -1, A_DIM },
        [CR_SELECTED] = { COLOR_BLACK, COLOR_CYAN, A_REVERSE },
        [CR_KEY] = { COLOR_BLACK, COLOR_WHITE, A_REVERSE },
        [CR_BORDER] = { COLOR_BLUE, -1, A_NORMAL },
};

static bool colors;

static attr_t attr_of(enum role_id r)
{
        if (!colors)
                return roles[r].mono;
        return COLOR_PAIR(r + 1) | (r == CR_TITLE || r == CR_WARNING || r == CR_PROBLEM ? A_BOLD : 0);
}

static void blit(const struct canvas *c, bool ascii)
{
        for (int y = 0; y < c->h; y++)
                for (int x = 0; x < c->w; x++) {
                        char ch = c->ch[y * c->w + x];
                        chtype out = (unsigned char)ch;

                        /* ACS_* are read from the terminal's description at run time: not a constant table. */
                        if (ch == CANVAS_HLINE)
                                out = ascii ? '-' : ACS_HLINE;
                        else if (ch == CANVAS_VLINE)
                                out = ascii ? '|' : ACS_VLINE;
                        else if (ch == CANVAS_ULCORNER)
                                out = ascii ? '+' : ACS_ULCORNER;
                        else if (ch == CANVAS_URCORNER)
                                out = ascii ? '+' : ACS_URCORNER;
                        else if (ch == CANVAS_LLCORNER)
                                out = ascii ? '+' : ACS_LLCORNER;
                        else if (ch == CANVAS_LRCORNER)
                                out = ascii ? '+' : ACS_LRCORNER;
                        else if (ch == CANVAS_CUT)
                                out = ascii ? '>' : ACS_RARROW;
                        else if (ch == CANVAS_MORE)
                                out = ascii ? 'v' : ACS_DARROW;
                        else if (ch == CANVAS_MORE_ABOVE)
                                out = ascii ? '^' : ACS_UARROW;
                        mvaddch(y, x, out | attr_of((enum role_id)c->role[y * c->w + x]));
                }
}

struct loop {
        struct wizard *w;
        struct canvas canvas;
        bool ascii;
};

static void draw(struct loop *l)
{
        if (l->canvas.w != COLS || l->canvas.h != LINES) {
                canvas_free(&l->canvas);
                if (canvas_init(&l->canvas, COLS, LINES) < 0)
                        return;
        }
        wizard_draw(l->w, &l->canvas);
        erase();
        blit(&l->canvas, l->ascii);
        refresh();
}

static void redraw(void *userdata)
{
        draw(userdata);
}

static int translate(int ch)
{
        switch (ch) {
        case KEY_UP:
                return WK_UP;
        case KEY_DOWN:
                return WK_DOWN;
        case KEY_LEFT:
                return WK_LEFT;
        case KEY_RIGHT:
                return WK_RIGHT;
        case KEY_ENTER:
                return WK_ENTER;
        case KEY_BACKSPACE:
                return WK_BACKSPACE;
        case KEY_PPAGE:
                return WK_PGUP;
        case KEY_NPAGE:
                return WK_PGDN;
        case KEY_HOME:
                return WK_HOME;
        case KEY_END:
                return WK_END;
        default:
                return ch;
        }
}

int tui_run(const struct wizard_options *o, const struct sysroot *sr, struct machine *m, const struct tui_options *t,
            char **ret_farewell, bool *ret_failed)
{
        const char *farewell;
        struct loop l = { .ascii = t->ascii };
        struct wizard_options wo = *o;
        struct sigaction sa = { .sa_handler = on_signal };
        int r;

        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
                machine_free(m);
                return -ENOTTY;
        }
        /* The wizard keeps its own copy: the loop it calls back lives as long as this call. */
        wo.redraw = redraw;
        wo.userdata = &l;
        r = wizard_new(sr, m, &wo, &l.w);
        if (r < 0)
                return r;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        atexit(restore);
        if (!initscr()) {
                wizard_free(l.w);
                return -EIO;
        }
        curses_on = true;
        cbreak();
        noecho();
        keypad(stdscr, TRUE);
        curs_set(0);
        set_escdelay(25);
        colors = t->color && has_colors();
        if (colors) {
                start_color();
                use_default_colors();
                for (int i = 0; i < _CR_MAX; i++)
                        init_pair((short)(i + 1), roles[i].fg, roles[i].bg);
        }
        while (!wizard_finished(l.w)) {
                int ch;

                draw(&l);
                ch = getch();
                /* A resize only needs the next draw at the new size. */
                if (ch == KEY_RESIZE || ch == ERR)
                        continue;
                wizard_key(l.w, translate(ch));
                if (wizard_step_began(l.w))
                        flushinp();
        }
        restore();
        canvas_free(&l.canvas);
        farewell = wizard_farewell(l.w);
        *ret_farewell = farewell ? strdup(farewell) : NULL;
        *ret_failed = wizard_failed(l.w);
        wizard_free(l.w);
        return 0;
}
