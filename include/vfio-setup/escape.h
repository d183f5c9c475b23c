/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/strbuf.h"

/*
 * Text from the tree (a disk's by-id name, a user's name, a module's name) goes into a file of
 * another format only through that format's escaper here, each the one its writers share.  A
 * format that cannot hold the text at all says so (-EINVAL): the writer refuses rather than
 * write something its reader takes another way.  JSON is json-c's to escape, and the terminal
 * the output guard's (cli/output.c) and curses'.
 */

/* XML character data or an attribute value: & < > ' " as entities; -EINVAL for a control
 * character XML 1.0 has no room for (all below 0x20 but tab, newline and carriage return). */
int escape_xml(struct strbuf *b, const char *s);

/* A word for sh: as it is when nothing in it is special to the shell, else single-quoted. */
void escape_shell(struct strbuf *b, const char *s);
struct strv;
/* A command as sh takes it back: its words escaped, a blank apart (an empty word shows as ''). */
char *shell_command(const struct strv *argv);

/*
 * A field of a file systemd splits into words (tmpfiles.d): as it is when plain, else in double
 * quotes with '"' and '\\' behind a backslash; -EINVAL for a control character, which such a
 * field cannot hold (systemd-tmpfiles 252 reads "\t" in a user's name as "t").
 */
int escape_systemd_field(struct strbuf *b, const char *s);

/* A value of a udev rule, quoted: udev takes no escape in it, so -EINVAL for '"', '\\' or a control character. */
int escape_udev_value(struct strbuf *b, const char *s);

/* A module name as modprobe.d words it: letters, digits, '_' and '-' only; false otherwise. */
bool module_name_ok(const char *s);

/*
 * A kernel command-line value: as it is, or in double quotes when it holds a blank; the kernel
 * has no escape, so -EINVAL for a '"' or a control character.
 */
int escape_kcmdline_value(struct strbuf *b, const char *s);

/* A word of vfio-setup's own state file: '%', blanks and control characters as %XX. */
void escape_state_word(struct strbuf *b, const char *s);
/* The word back; NULL on ENOMEM. */
char *unescape_state_word(const char *s);
