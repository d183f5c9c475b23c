/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/textfile.h"

static int split(struct textfile *f)
{
        const char *p = f->original, *end = f->original + f->original_len;
        size_t cap = 0;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *stop = nl ? nl : end;
                const char *eol = "";

                if (nl)
                        eol = (stop > p && stop[-1] == '\r') ? "\r\n" : "\n";
                if (nl && !f->eol)
                        f->eol = eol;
                if (nl && eol[0] == '\r')
                        stop--;
                if (f->n == cap) {
                        struct textfile_line *l = realloc(f->lines, (cap = cap ? cap * 2 : 32) * sizeof(*l));
                        if (!l)
                                return -ENOMEM;
                        f->lines = l;
                }
                f->lines[f->n].text = strndup(p, (size_t)(stop - p));
                f->lines[f->n].eol = eol;
                if (!f->lines[f->n].text)
                        return -ENOMEM;
                f->n++;
                p = nl ? nl + 1 : end;
        }
        return 0;
}

static int refuse_content(const char *rel, size_t len, const char *data, char **ret_reason)
{
        if (len <= TEXTFILE_MAX && !memchr(data, '\0', len))
                return 0;
        if (asprintf(ret_reason, "/%s: %s; not a configuration file vfio-setup will edit", rel,
                     len > TEXTFILE_MAX ? "larger than 1 MiB" : "holds binary data (NUL bytes)") < 0)
                return -ENOMEM;
        return -VS_E_CONFIG;
}

int textfile_parse(const char *data, size_t len, const char *path, struct textfile *ret, char **ret_reason)
{
        struct textfile f = { .exists = true, .original_len = len };
        int r = refuse_content(path, len, data, ret_reason);

        if (r < 0)
                return r;
        f.original = malloc(len + 1);
        f.path = strdup(path);
        if (!f.original || !f.path) {
                textfile_free(&f);
                return -ENOMEM;
        }
        memcpy(f.original, data, len);
        f.original[len] = '\0';
        r = split(&f);
        if (r < 0) {
                textfile_free(&f);
                return r;
        }
        *ret = f;
        return 0;
}

int textfile_load(const struct sysroot *sr, const char *rel, struct textfile *ret, char **ret_reason)
{
        struct textfile f = { 0 };
        struct stat st;
        size_t len = 0;
        char *data, *path = NULL;
        int r;

        while (*rel == '/')
                rel++;
        r = sysroot_read(sr, rel, TEXTFILE_MAX + 1, &data, &len);
        /* A link to nothing would be created through by the plan and refused by apply: refused now. */
        if (r == -ENOENT && sysroot_stat(sr, rel, true, &st) == 0 && S_ISLNK(st.st_mode)) {
                char *target = NULL;

                (void)sysroot_readlink(sr, rel, &target);
                r = asprintf(ret_reason, "/%s is a link to %s, which does not exist; make it point at the real file "
                             "or remove it", rel, target ? target : "(unreadable)");
                free(target);
                return r < 0 ? -ENOMEM : -VS_E_CONFIG;
        }
        if (r == -ENOENT) {
                f.path = strdup(rel);
                f.original = strdup("");
                if (!f.path || !f.original) {
                        textfile_free(&f);
                        return -ENOMEM;
                }
                *ret = f;
                return 0;
        }
        if (r < 0) {
                if (asprintf(ret_reason, "/%s: %s", rel, vs_strerror(r)) < 0)
                        return -ENOMEM;
                return -VS_E_CONFIG;
        }
        r = sysroot_resolve(sr, rel, &path);
        /* Files are replaced by renaming: another name for the same file would keep the old content. */
        if (r >= 0 && sysroot_stat(sr, path, true, &st) == 0 && st.st_nlink > 1) {
                free(data);
                r = asprintf(ret_reason, "/%s has %lu hard links: replacing it would leave the other names with the "
                             "old content; make it a single file (or a symbolic link) first", path,
                             (unsigned long)st.st_nlink);
                free(path);
                return r < 0 ? -ENOMEM : -VS_E_CONFIG;
        }
        if (r >= 0)
                r = textfile_parse(data, len, path, &f, ret_reason);
        free(data);
        if (r >= 0 && strcmp(path, rel) != 0 && !(f.asked = strdup(rel))) {
                textfile_free(&f);
                r = -ENOMEM;
        }
        if (r < 0 && r != -ENOMEM && r != -VS_E_CONFIG) {
                free(path);
                return asprintf(ret_reason, "/%s: %s", rel, vs_strerror(r)) < 0 ? -ENOMEM : -VS_E_CONFIG;
        }
        free(path);
        if (r < 0)
                return r;
        *ret = f;
        return 0;
}

void textfile_free(struct textfile *f)
{
        for (size_t i = 0; i < f->n; i++)
                free(f->lines[i].text);
        free(f->lines);
        free(f->path);
        free(f->asked);
        free(f->original);
        *f = (struct textfile){ 0 };
}

char *textfile_content(const struct textfile *f, size_t *ret_len)
{
        size_t len = 0;
        char *out, *p;

        for (size_t i = 0; i < f->n; i++)
                len += strlen(f->lines[i].text) + strlen(f->lines[i].eol);
        out = p = malloc(len + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < f->n; i++) {
                p = stpcpy(p, f->lines[i].text);
                p = stpcpy(p, f->lines[i].eol);
        }
        *p = '\0';
        if (ret_len)
                *ret_len = len;
        return out;
}

int textfile_set(struct textfile *f, size_t i, const char *text)
{
        char *t = strdup(text);

        if (!t)
                return -ENOMEM;
        free(f->lines[i].text);
        f->lines[i].text = t;
        return 0;
}

/*
 * The ending the file uses: the one it was read with, also after the lines
 * that had it were removed, or one a line added since took; a new file gets "\n".
 */
/* Whether a line has an ending: a lone CR (left by textfile_remove) is not one. */
static bool ends(const struct textfile_line *l)
{
        return strchr(l->eol, '\n') != NULL;
}

static const char *file_eol(const struct textfile *f)
{
        if (f->eol)
                return f->eol;
        for (size_t i = 0; i < f->n; i++)
                if (ends(&f->lines[i]))
                        return f->lines[i].eol;
        return "\n";
}

int textfile_insert(struct textfile *f, size_t i, const char *text)
{
        struct textfile_line *l = realloc(f->lines, (f->n + 1) * sizeof(*l));
        char *t = strdup(text);
        const char *eol;

        if (l)
                f->lines = l;
        if (!l || !t) {
                free(t);
                return -ENOMEM;
        }
        /*
         * After a last line without an ending, that line gets one and the new last line goes without.
         * A carriage return it ends with would make a CRLF of that ending: it is taken as one, so the
         * file reads back as it was written. One that textfile_remove left ("\r") gets its LF back.
         */
        if (i == f->n && f->n > 0 && !ends(&f->lines[f->n - 1])) {
                struct textfile_line *last = &f->lines[f->n - 1];
                size_t len = strlen(last->text);

                if (*last->eol == '\r')
                        last->eol = "\r\n";
                else if (len && last->text[len - 1] == '\r') {
                        last->text[len - 1] = '\0';
                        last->eol = "\r\n";
                } else
                        last->eol = file_eol(f);
                eol = "";
        } else
                eol = file_eol(f);
        memmove(&f->lines[i + 1], &f->lines[i], (f->n - i) * sizeof(*l));
        f->lines[i].text = t;
        f->lines[i].eol = eol;
        f->n++;
        return 0;
}

void textfile_remove(struct textfile *f, size_t i)
{
        /*
         * Removing a last line without an ending leaves the new last line without one. Where that
         * line ends in a CR and then a CRLF, textfile_insert made the CRLF of a CR of its own (a
         * CRLF file's ending never follows a CR of the text): that CR stays, as "\r", so that
         * inserting again gives back the same bytes.
         */
        if (i == f->n - 1 && i > 0 && !ends(&f->lines[i])) {
                struct textfile_line *prev = &f->lines[i - 1];
                size_t len = strlen(prev->text);

                prev->eol = strcmp(prev->eol, "\r\n") == 0 && len && prev->text[len - 1] == '\r' ? "\r" : "";
        }
        free(f->lines[i].text);
        memmove(&f->lines[i], &f->lines[i + 1], (f->n - i - 1) * sizeof(*f->lines));
        f->n--;
}
