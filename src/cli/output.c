/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <langinfo.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "output.h"
#include "vfio-setup/atomic.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/json.h"

static const char *const role_escape[] = {
        [ROLE_PLAIN] = "",
        [ROLE_HEADING] = "\033[1m",
        [ROLE_OK] = "\033[32m",
        [ROLE_WARNING] = "\033[33m",
        [ROLE_PROBLEM] = "\033[1;31m",
        [ROLE_DIM] = "\033[2m",
};

/*
 * What the program prints carries text from the tree (names, file contents,
 * paths), which may hold terminal control sequences.  The guarded streams
 * write every control character (C0 but newline and tab, DEL, C1 in UTF-8) as
 * \xHH; only the colour escapes of output_role pass, flushed on their own.
 */
struct guard {
        int fd;
        bool trusted;                   /* the bytes now written are the program's own escapes */
        bool lead;                      /* the last byte was 0xc2, which may start a C1 character */
};

static struct guard guards[] = { { STDOUT_FILENO, false, false }, { STDERR_FILENO, false, false } };

/* With --json: what went to stderr, for the error document when no other was printed. */
#define RECORD_MAX 8192
static struct {
        bool on, printed;
        char text[RECORD_MAX];
        size_t len;
} json_run;

static int write_fd(int fd, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static ssize_t guarded_write(void *cookie, const char *buf, size_t size)
{
        struct guard *g = cookie;
        char out[4096 * 4 + 8];
        size_t o = 0;

        if (json_run.on && g == &guards[1]) {
                size_t n = size < RECORD_MAX - 1 - json_run.len ? size : RECORD_MAX - 1 - json_run.len;

                memcpy(json_run.text + json_run.len, buf, n);
                json_run.len += n;
        }
        if (g->trusted)
                return write_fd(g->fd, buf, size) < 0 ? -1 : (ssize_t)size;
        for (size_t i = 0; i < size; i++) {
                unsigned char c = (unsigned char)buf[i];
                bool c1 = g->lead && c >= 0x80 && c <= 0x9f;

                if (g->lead && !c1)
                        out[o++] = (char)0xc2;
                g->lead = c == 0xc2;
                if (c1)
                        o += (size_t)snprintf(out + o, 16, "\\xc2\\x%02x", c);
                else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                        o += (size_t)snprintf(out + o, 8, "\\x%02x", c);
                else if (!g->lead)
                        out[o++] = (char)c;
                if (o > sizeof(out) - 16) {
                        if (write_fd(g->fd, out, o) < 0)
                                return -1;
                        o = 0;
                }
        }
        return write_fd(g->fd, out, o) < 0 ? -1 : (ssize_t)size;
}

/* A 0xc2 held back at the end is no C1 character: it goes out as it came. */
static int guarded_close(void *cookie)
{
        struct guard *g = cookie;

        if (g->lead)
                (void)write_fd(g->fd, "\xc2", 1);
        g->lead = false;
        return 0;
}

void output_guard_streams(void)
{
        cookie_io_functions_t io = { .write = guarded_write, .close = guarded_close };
        static bool guarded;
        FILE *streams[2];

        if (guarded)
                return;
        guarded = true;
        for (size_t i = 0; i < 2; i++) {
                streams[i] = fopencookie(&guards[i], "w", io);
                if (!streams[i])
                        return;
        }
        setvbuf(streams[0], NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 0);
        setvbuf(streams[1], NULL, _IOLBF, 0);
        fflush(stdout);
        fflush(stderr);
        stdout = streams[0];
        stderr = streams[1];
}

static struct guard *guard_of(FILE *f)
{
        return f == stdout && fileno(f) < 0 ? &guards[0] : f == stderr && fileno(f) < 0 ? &guards[1] : NULL;
}

void output_init(struct output *o, FILE *f, bool no_color, bool ascii)
{
        const char *nc = getenv("NO_COLOR");
        struct guard *g = guard_of(f);

        o->f = f;
        o->color = !no_color && !(nc && *nc) && isatty(g ? g->fd : fileno(f));
        o->ascii = ascii || strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
}

static void own_escape(const struct output *o, const char *escape)
{
        struct guard *g = guard_of(o->f);

        fflush(o->f);
        if (g)
                g->trusted = true;
        fputs(escape, o->f);
        fflush(o->f);
        if (g)
                g->trusted = false;
}

void output_role(const struct output *o, enum role r, const char *fmt, ...)
{
        va_list ap;

        if (o->color && r != ROLE_PLAIN)
                own_escape(o, role_escape[r]);
        va_start(ap, fmt);
        vfprintf(o->f, fmt, ap);
        va_end(ap);
        if (o->color && r != ROLE_PLAIN)
                own_escape(o, "\033[0m");
}

enum role severity_role(enum severity s)
{
        static const enum role roles[] = {
                [SEVERITY_INFO] = ROLE_DIM,
                [SEVERITY_OK] = ROLE_OK,
                [SEVERITY_WARNING] = ROLE_WARNING,
                [SEVERITY_PROBLEM] = ROLE_PROBLEM,
        };

        return roles[s];
}

const char *output_arrow(const struct output *o)
{
        return o->ascii ? "->" : "\u2192";
}

int output_json(struct json_object *root)
{
        char *text = NULL;
        int r = json_finish(root, &text);

        if (r >= 0)
                output_json_text(text);
        free(text);
        return r;
}

void output_json_text(const char *text)
{
        json_run.printed = true;
        puts(text);
}

void output_json_mode(void)
{
        json_run.on = true;
}

int output_json_error(const char *command, int exit_code)
{
        json_object *root = json_object_new_object();
        char *text = json_run.text, *hint;

        if (!root)
                return -VS_E_JSON;
        fflush(stderr);
        json_run.on = false;
        json_run.text[json_run.len] = '\0';
        /* "vfio-setup: what: why\nhint: ..." -> the error, and the hint apart. */
        if (strncmp(text, "vfio-setup: ", 12) == 0)
                text += 12;
        hint = strstr(text, "hint: ");
        if (hint && (hint == text || hint[-1] == '\n'))
                *hint = '\0', hint += 6;
        else
                hint = NULL;
        json_object_object_add(root, "command", command ? json_object_new_string(command) : NULL);
        json_object_object_add(root, "ok", json_object_new_boolean(false));
        json_object_object_add(root, "exit_code", json_object_new_int(exit_code));
        json_object_object_add(root, "error", json_object_new_string(strip(text)));
        json_object_object_add(root, "hint", hint ? json_object_new_string(strip(hint)) : NULL);
        return output_json(root);
}

bool output_json_printed(void)
{
        return json_run.printed;
}

void cli_error(const char *what, int err, const char *hint)
{
        fprintf(stderr, "vfio-setup: %s: %s\n", what, vs_strerror(err));
        if (hint)
                fprintf(stderr, "hint: %s\n", hint);
}

int output_save(const char *path, const void *data, size_t len, bool replace)
{
        char *copy = strdup(path), *copy2 = strdup(path);
        struct sysroot *dir = NULL;
        struct stat st;
        int r = -ENOMEM;

        if (copy && copy2) {
                r = sysroot_new(dirname(copy), &dir);
                if (r >= 0 && !replace && sysroot_stat(dir, basename(copy2), true, &st) == 0)
                        r = -EEXIST;
                if (r >= 0)
                        r = atomic_write(dir, basename(copy2), data, len, 0644, getuid(), getgid(), NULL);
        }
        sysroot_free(dir);
        free(copy);
        free(copy2);
        return r;
}

/* Where a line's words continue when it wraps: after its indent, and after "N. " or "- " that open an item. */
static size_t hang_of(const char *line, size_t len)
{
        size_t i = strspn(line, " ");

        if (i + 1 < len && line[i] == '-' && line[i + 1] == ' ')
                return i + 2;
        if (i < len && line[i] >= '0' && line[i] <= '9') {
                size_t k = i + strspn(line + i, "0123456789");

                if (k + 1 < len && line[k] == '.' && line[k + 1] == ' ')
                        return k + 2;
        }
        return i;
}

void output_wrapped(FILE *f, const char *text)
{
        /* The standard streams may be guarded (output_guard_streams): their descriptors are the usual ones. */
        int fd = f == stdout ? STDOUT_FILENO : f == stderr ? STDERR_FILENO : fileno(f);
        struct winsize ws;
        size_t width = 0;

        if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
                width = ws.ws_col;
        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n"), hang = hang_of(p, len), col = 0;
                const char *end = p + len;

                if (hang > width / 2)
                        hang = 0;

                /* A line is cut at its last space that fits, the rest under its first word; a word longer than
                 * the width goes whole. */
                while (width && (size_t)(end - p) + col > width) {
                        size_t room = width - col, cut = room;

                        while (cut > 0 && p[cut] != ' ')
                                cut--;
                        if (cut == 0 || (col == 0 && cut <= hang))
                                cut = strcspn(p + room, " ") + room;
                        if (p + cut >= end)
                                break;
                        fprintf(f, "%.*s\n%*s", (int)cut, p, (int)hang, "");
                        p += cut + strspn(p + cut, " ");
                        col = hang;
                }
                fprintf(f, "%.*s", (int)(end - p), p);
                p = end;
                if (*p == '\n') {
                        fputc('\n', f);
                        p++;
                }
        }
}
