/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "mutate.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

void fuzz_seed(uint64_t seed)
{
        rng = seed | 1;
}

uint64_t fuzz_next(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

size_t fuzz_mutate(uint8_t *buf, size_t len, size_t cap)
{
        static const char specials[] = "\"'\\$`=()#,: \t\r\n\0-_.{}[]/";
        unsigned n = 1 + (unsigned)(fuzz_next() % 6);

        while (n--) {
                size_t at = len ? (size_t)(fuzz_next() % (len + 1)) : 0;

                switch (fuzz_next() % 5) {
                case 0: /* flip */
                        if (len)
                                buf[at % len] ^= (uint8_t)(1u << (fuzz_next() % 8));
                        break;
                case 1: /* insert a character that means something to a parser */
                        if (len < cap) {
                                memmove(buf + at + 1, buf + at, len - at);
                                buf[at] = (uint8_t)specials[fuzz_next() % (sizeof(specials) - 1)];
                                len++;
                        }
                        break;
                case 2: /* delete */
                        if (len) {
                                at %= len;
                                memmove(buf + at, buf + at + 1, len - at - 1);
                                len--;
                        }
                        break;
                case 3: /* truncate, now and then */
                        if (fuzz_next() % 4 == 0)
                                len = at;
                        break;
                default: /* duplicate a slice */
                        if (len && len < cap) {
                                size_t from = (size_t)(fuzz_next() % len), k = 1 + (size_t)(fuzz_next() % 32);
                                uint8_t slice[32];

                                if (from + k > len)
                                        k = len - from;
                                if (len + k > cap)
                                        k = cap - len;
                                memcpy(slice, buf + from, k);
                                memmove(buf + at + k, buf + at, len - at);
                                memcpy(buf + at, slice, k);
                                len += k;
                        }
                }
        }
        return len;
}
