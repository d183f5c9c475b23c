/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "vfio-setup/findings.h"

/* Semantic colour roles; the terminal sees escapes only when colour is on. */
enum role { ROLE_PLAIN, ROLE_HEADING, ROLE_OK, ROLE_WARNING, ROLE_PROBLEM, ROLE_DIM };

struct output {
        FILE *f;
        bool color;
        bool ascii;
};

/*
 * Replaces stdout and stderr by streams that write control characters from
 * the tree as \xHH, so that no text the program prints can steer the terminal.
 */
void output_guard_streams(void);
/* Colour only on a terminal, never with NO_COLOR set or --no-color. */
void output_init(struct output *o, FILE *f, bool no_color, bool ascii);
void output_role(const struct output *o, enum role r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
enum role severity_role(enum severity s);
/* Prints a JSON document on stdout in the one style (json_finish), taking root; 0 or -VS_E_JSON. */
struct json_object;
int output_json(struct json_object *root);
/* text on f, each line wider than a terminal there wrapped at a space, its continuation under its first word. */
void output_wrapped(FILE *f, const char *text);
/* Prints a finished JSON document on stdout; every document of the CLI goes through it or output_json. */
void output_json_text(const char *text);
/*
 * --json was given: stdout carries exactly one JSON document, whatever happens.  From now
 * what goes to stderr is kept; a run that ends without a document of its own gets
 * output_json_error's: {"command", "ok": false, "exit_code", "error", "hint"}.
 */
void output_json_mode(void);
bool output_json_printed(void);
int output_json_error(const char *command, int exit_code);
/* "->" or an arrow, by locale and --ascii. */
const char *output_arrow(const struct output *o);
/*
 * Writes a file the user named (rom -o, plan's domains), whole or not at all, in the directory
 * it names (which must exist); -EEXIST unless replace.
 */
int output_save(const char *path, const void *data, size_t len, bool replace);
