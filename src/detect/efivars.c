/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "efivars.h"

/* Far above an entry's name; the variables are the firmware's and may be anything. */
#define EFIVAR_MAX 4096

int efivar_string(const struct sysroot *sr, const char *rel, char **ret)
{
        char *raw, *text;
        size_t len, n = 0;
        int r;

        r = sysroot_read(sr, rel, EFIVAR_MAX, &raw, &len);
        if (r < 0)
                return r;
        text = malloc(len / 2 + 1);
        if (!text) {
                free(raw);
                return -ENOMEM;
        }
        for (size_t i = 4; i + 1 < len; i += 2) {
                unsigned c = (unsigned char)raw[i] | (unsigned)(unsigned char)raw[i + 1] << 8;

                if (c == 0)
                        break;
                text[n++] = c < 0x80 && c >= 0x20 ? (char)c : '?';
        }
        text[n] = '\0';
        free(raw);
        *ret = text;
        return 0;
}

int efivar_u64(const struct sysroot *sr, const char *rel, unsigned long long *ret)
{
        unsigned long long v = 0;
        char *raw;
        size_t len;
        int r;

        r = sysroot_read(sr, rel, EFIVAR_MAX, &raw, &len);
        if (r < 0)
                return r;
        if (len != 4 + 8) {
                free(raw);
                return -EBADMSG;
        }
        for (int i = 7; i >= 0; i--)
                v = v << 8 | (unsigned char)raw[4 + i];
        free(raw);
        *ret = v;
        return 0;
}
