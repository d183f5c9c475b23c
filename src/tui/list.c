/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wizard_private.h"

bool list_move(int *pos, int last, int page, int key)
{
        int step = key == WK_UP || key == WK_DOWN ? 1 : page > 1 ? page : 1, to;

        if (key != WK_UP && key != WK_DOWN && key != WK_PGUP && key != WK_PGDN && key != WK_HOME && key != WK_END)
                return false;
        if (last < 0)
                last = 0;
        to = key == WK_HOME ? 0 : key == WK_END ? last : key == WK_UP || key == WK_PGUP ? *pos - step : *pos + step;
        *pos = to < 0 ? 0 : to > last ? last : to;
        return true;
}

bool list_move_from_end(int *pos, int last, int page, int key)
{
        static const int mirror[][2] = { { WK_UP, WK_DOWN }, { WK_DOWN, WK_UP }, { WK_PGUP, WK_PGDN }, { WK_PGDN, WK_PGUP },
                                         { WK_HOME, WK_END }, { WK_END, WK_HOME } };

        for (size_t i = 0; i < sizeof(mirror) / sizeof(mirror[0]); i++)
                if (key == mirror[i][0])
                        return list_move(pos, last, page, mirror[i][1]);
        return false;
}
