/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/escape.h"
#include "vfio-setup/strv.h"

static bool control(unsigned char c)
{
        return c < 0x20 || c == 0x7f;
}

int escape_xml(struct strbuf *b, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                        return -EINVAL;
        for (; *s; s++)
                switch (*s) {
                case '&': strbuf_printf(b, "&amp;"); break;
                case '<': strbuf_printf(b, "&lt;"); break;
                case '>': strbuf_printf(b, "&gt;"); break;
                case '\'': strbuf_printf(b, "&apos;"); break;
                case '"': strbuf_printf(b, "&quot;"); break;
                default: strbuf_printf(b, "%c", *s);
                }
        return 0;
}

/* POSIX sh: these need no quoting anywhere in a word. */
static bool shell_plain(const char *s)
{
        return *s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./:@%+,=") == strlen(s);
}

void escape_shell(struct strbuf *b, const char *s)
{
        if (shell_plain(s)) {
                strbuf_printf(b, "%s", s);
                return;
        }
        strbuf_printf(b, "'");
        for (; *s; s++)
                strbuf_printf(b, *s == '\'' ? "'\\''" : "%c", *s);
        strbuf_printf(b, "'");
}

char *shell_command(const struct strv *argv)
{
        struct strbuf b = { 0 };
        char *text;

        for (size_t i = 0; i < argv->n; i++) {
                strbuf_printf(&b, "%s", i ? " " : "");
                escape_shell(&b, argv->v[i]);
        }
        return strbuf_finish(&b, &text) < 0 ? NULL : text;
}

int escape_systemd_field(struct strbuf *b, const char *s)
{
        bool plain = *s != '\0';

        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (control(*p))
                        return -EINVAL;
                plain = plain && *p != ' ' && *p != '"' && *p != '\'' && *p != '\\';
        }
        if (plain) {
                strbuf_printf(b, "%s", s);
                return 0;
        }
        strbuf_printf(b, "\"");
        for (; *s; s++)
                strbuf_printf(b, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
        strbuf_printf(b, "\"");
        return 0;
}

int escape_udev_value(struct strbuf *b, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p == '"' || *p == '\\' || control(*p))
                        return -EINVAL;
        strbuf_printf(b, "\"%s\"", s);
        return 0;
}

bool module_name_ok(const char *s)
{
        return *s && strlen(s) < 64 &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

int escape_kcmdline_value(struct strbuf *b, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p == '"' || control(*p))
                        return -EINVAL;
        strbuf_printf(b, strpbrk(s, " \t") || !*s ? "\"%s\"" : "%s", s);
        return 0;
}

void escape_state_word(struct strbuf *b, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                strbuf_printf(b, *p == '%' || *p == ' ' || control(*p) ? "%%%02X" : "%c", *p);
}

static int hex(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *unescape_state_word(const char *s)
{
        char *out = malloc(strlen(s) + 1), *w = out;

        for (; out && *s; s++)
                if (s[0] == '%' && hex(s[1]) >= 0 && hex(s[2]) >= 0) {
                        *w++ = (char)(hex(s[1]) << 4 | hex(s[2]));
                        s += 2;
                } else
                        *w++ = *s;
        if (out)
                *w = '\0';
        return out;
}
