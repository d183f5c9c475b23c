/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vfio-setup/sysroot.h"

/*
 * A configuration file as lines, each with its own line ending, so that what
 * is not edited comes back byte for byte (CRLF files stay CRLF).  Loading
 * refuses what no configuration file looks like: NUL bytes, more than
 * TEXTFILE_MAX bytes.
 */
#define TEXTFILE_MAX (1024 * 1024)

struct textfile_line {
        char *text;             /* without its line ending */
        const char *eol;        /* "\n", "\r\n"; for a last line without one "", or "\r" (see textfile_remove) */
};

struct textfile {
        char *path;             /* below the root, after following links; no leading '/' */
        char *asked;            /* the path asked for, when it was a link to path; else NULL */
        bool exists;
        char *original;         /* content as read ("" for a missing file) */
        size_t original_len;
        struct textfile_line *lines;
        size_t n;
        const char *eol;        /* the ending the file was read with ("\n" or "\r\n"), for lines added to it */
};

/* Lines of data as if read from path (which only names it in messages); refuses as textfile_load does. */
int textfile_parse(const char *data, size_t len, const char *path, struct textfile *ret, char **ret_reason);
/* A missing file loads as empty with exists = false. -VS_E_CONFIG with *ret_reason on refusal. */
int textfile_load(const struct sysroot *sr, const char *rel, struct textfile *ret, char **ret_reason);
void textfile_free(struct textfile *f);

/* The content the lines make now. */
char *textfile_content(const struct textfile *f, size_t *ret_len);
int textfile_set(struct textfile *f, size_t i, const char *text);
/* Inserts a line before line i (i == n appends), with the file's line ending. */
int textfile_insert(struct textfile *f, size_t i, const char *text);
void textfile_remove(struct textfile *f, size_t i);
