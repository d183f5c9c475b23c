/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_format.h"
#include "vfio-setup/commands.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/sha256.h"
#include "vfio-setup/strbuf.h"

static const char *const state_names[_JOURNAL_STATE_MAX] = {
        [JOURNAL_BEGUN] = "begun",
        [JOURNAL_COMPLETE] = "complete",
        [JOURNAL_ROLLED_BACK] = "rolled-back",
        [JOURNAL_UNDONE] = "undone",
};

static const char *const action_names[] = {
        [PLAN_CREATE] = "create",
        [PLAN_MODIFY] = "modify",
        [PLAN_DELETE] = "delete",
};

const char *journal_state_name(enum journal_state s)
{
        return s < _JOURNAL_STATE_MAX ? state_names[s] : "unknown";
}

/* Fields are tab-separated; a tab, newline or backslash inside one is escaped. */
static void put_escaped(struct strbuf *b, const char *s)
{
        for (; *s; s++)
                if (*s == '\t')
                        strbuf_printf(b, "\\t");
                else if (*s == '\n')
                        strbuf_printf(b, "\\n");
                else if (*s == '\\')
                        strbuf_printf(b, "\\\\");
                else
                        strbuf_printf(b, "%c", *s);
}

/* NULL for an escape that put_escaped does not write. */
static char *unescape(const char *s)
{
        char *out = malloc(strlen(s) + 1), *w = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                if (*s != '\\') {
                        *w++ = *s;
                        continue;
                }
                s++;
                if (*s != 't' && *s != 'n' && *s != '\\') {
                        free(out);
                        return NULL;
                }
                *w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : '\\';
        }
        *w = '\0';
        return out;
}

static void put_argv(struct strbuf *b, const char *record, const struct strv *argv)
{
        strbuf_printf(b, "%s", record);
        for (size_t k = 0; k < argv->n; k++) {
                strbuf_printf(b, "\t");
                put_escaped(b, argv->v[k]);
        }
        strbuf_printf(b, "\n");
}

int journal_format_text(const struct journal *j, char **ret)
{
        struct strbuf b = { 0 };
        char *text, sum[65];
        int r;

        strbuf_printf(&b, "# vfio-setup journal: what one apply changed, to put it back\nformat\t%d\nstate\t%s\n",
                      JOURNAL_FORMAT, state_names[j->state]);
        for (size_t i = 0; i < j->n; i++) {
                const struct journal_entry *e = &j->entries[i];

                strbuf_printf(&b, "file\t%s\t%o\t%u\t%u\t%s\t%s\t%s\t", action_names[e->action], (unsigned)e->mode,
                              (unsigned)e->uid, (unsigned)e->gid, *e->before ? e->before : "-",
                              *e->after ? e->after : "-", e->backup ? e->backup : "-");
                put_escaped(&b, e->path);
                strbuf_printf(&b, "\n");
        }
        for (size_t i = 0; i < j->dirs.n; i++) {
                strbuf_printf(&b, "dir\t");
                put_escaped(&b, j->dirs.v[i]);
                strbuf_printf(&b, "\n");
        }
        for (size_t i = 0; i < j->n_commands; i++) {
                put_argv(&b, "command", &j->commands[i]);
                if (j->undo_commands[i].n)
                        put_argv(&b, "undo", &j->undo_commands[i]);
        }
        r = strbuf_finish(&b, &text);
        if (r < 0)
                return r;
        /* A checksum of all the lines above it: a journal cut short or damaged is known as such. */
        sha256_hex(text, strlen(text), sum);
        b = (struct strbuf){ 0 };
        strbuf_printf(&b, "%ssum\t%s\n", text, sum);
        free(text);
        return strbuf_finish(&b, ret);
}

int journal_refuse(char **ret_reason, int err, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(ret_reason, fmt, ap);
        va_end(ap);
        return n < 0 ? -ENOMEM : err;
}

static bool valid_hash(const char *s)
{
        return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static bool valid_number(const char *s, unsigned long max, int base, unsigned long *ret)
{
        char *end;

        if (!*s || strspn(s, base == 8 ? "01234567" : "0123456789") != strlen(s))
                return false;
        errno = 0;
        *ret = strtoul(s, &end, base);
        return !errno && *ret <= max;
}

/* Relative, without "." or ".." or empty components, without control characters. */
static bool valid_path(const char *p)
{
        if (!*p || *p == '/')
                return false;
        for (const char *c = p; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        return false;
        for (const char *comp = p; comp; comp = strchr(comp, '/') ? strchr(comp, '/') + 1 : NULL) {
                size_t len = strcspn(comp, "/");

                if (len == 0 || (len == 1 && comp[0] == '.') || (len == 2 && comp[0] == '.' && comp[1] == '.'))
                        return false;
        }
        return true;
}

static bool valid_backup(const char *s)
{
        unsigned long v;

        return strncmp(s, "files/", 6) == 0 && valid_number(s + 6, 999999, 10, &v);
}

/* One file record; format 1 had no backup field: the copy was files/<the record's index>. */
static int parse_file(struct journal *j, const struct strv *f, unsigned format)
{
        struct journal_entry e = { 0 };
        const char *backup, *path;
        unsigned long mode, uid, gid;
        bool seeded, has_before;
        int action = -1;

        if (f->n != (format == 1 ? 8u : 9u))
                return -EBADMSG;
        for (int a = 0; a < (int)(sizeof(action_names) / sizeof(action_names[0])); a++)
                if (strcmp(f->v[1], action_names[a]) == 0)
                        action = a;
        backup = format == 1 ? NULL : f->v[7];
        path = f->v[format == 1 ? 7 : 8];
        if (action < 0 || !valid_number(f->v[2], 07777, 8, &mode) || !valid_number(f->v[3], 0xfffffffe, 10, &uid) ||
            !valid_number(f->v[4], 0xfffffffe, 10, &gid) || !valid_path(path))
                return -EBADMSG;
        /*
         * What each action has: a new file has no "before" and no copy (from
         * format 3 on, a seeded one has both); a removed one no "after".
         */
        seeded = format >= 3 && action == PLAN_CREATE && strcmp(f->v[5], "-") != 0;
        has_before = action != PLAN_CREATE || seeded;
        if (has_before != (strcmp(f->v[5], "-") != 0) || (has_before && !valid_hash(f->v[5])) ||
            (action == PLAN_DELETE) != (strcmp(f->v[6], "-") == 0) || (action != PLAN_DELETE && !valid_hash(f->v[6])) ||
            (backup && (has_before != (strcmp(backup, "-") != 0) || (has_before && !valid_backup(backup)))))
                return -EBADMSG;
        e.action = (enum plan_action)action;
        e.mode = (mode_t)mode;
        e.uid = (uid_t)uid;
        e.gid = (gid_t)gid;
        e.seeded = seeded;
        snprintf(e.before, sizeof(e.before), "%s", has_before ? f->v[5] : "");
        snprintf(e.after, sizeof(e.after), "%s", action == PLAN_DELETE ? "" : f->v[6]);
        e.path = strdup(path);
        if (has_before)
                e.backup = backup ? strdup(backup) : NULL;
        if (has_before && !backup && asprintf(&e.backup, "files/%zu", j->n) < 0)
                e.backup = NULL;
        if (!e.path || (has_before && !e.backup)) {
                free(e.path);
                free(e.backup);
                return -ENOMEM;
        }
        j->entries[j->n++] = e;
        return 0;
}

/* One record; -EBADMSG when it is not one this format has, whole and well-formed. */
static int parse_record(struct journal *j, const struct strv *f, unsigned format, bool *have_state)
{
        if (strcmp(f->v[0], "state") == 0 && f->n == 2 && !*have_state) {
                for (int s = 0; s < _JOURNAL_STATE_MAX; s++)
                        if (strcmp(f->v[1], state_names[s]) == 0) {
                                j->state = (enum journal_state)s;
                                *have_state = true;
                                return 0;
                        }
                return -EBADMSG;
        }
        if (strcmp(f->v[0], "file") == 0) {
                struct journal_entry *v = realloc(j->entries, (j->n + 1) * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                j->entries = v;
                return parse_file(j, f, format);
        }
        if (strcmp(f->v[0], "dir") == 0 && f->n == 2)
                return valid_path(f->v[1]) ? strv_push(&j->dirs, f->v[1]) : -EBADMSG;
        if (strcmp(f->v[0], "command") == 0 && f->n >= 2) {
                struct strv *v = realloc(j->commands, (j->n_commands + 1) * sizeof(*v)), *u;
                int r = 0;

                if (!v)
                        return -ENOMEM;
                j->commands = v;
                u = realloc(j->undo_commands, (j->n_commands + 1) * sizeof(*u));
                if (!u)
                        return -ENOMEM;
                j->undo_commands = u;
                v[j->n_commands] = u[j->n_commands] = (struct strv){ 0 };
                j->n_commands++;
                for (size_t k = 1; k < f->n && r >= 0; k++)
                        r = strv_push(&v[j->n_commands - 1], f->v[k]);
                /* Undo runs these as root: only what a plan of this version runs. */
                return r < 0 ? r : command_known(&v[j->n_commands - 1]) ? 0 : -EBADMSG;
        }
        /* The command that undoes the one just before it; one each, from format 4 on. */
        if (strcmp(f->v[0], "undo") == 0 && f->n >= 2 && format >= 4 && j->n_commands > 0 &&
            j->undo_commands[j->n_commands - 1].n == 0) {
                int r = 0;

                for (size_t k = 1; k < f->n && r >= 0; k++)
                        r = strv_push(&j->undo_commands[j->n_commands - 1], f->v[k]);
                return r < 0 ? r : command_known(&j->undo_commands[j->n_commands - 1]) ? 0 : -EBADMSG;
        }
        return -EBADMSG;
}

/* Splits a line into its unescaped fields; -EBADMSG for an escape no journal has. */
static int fields(const char *line, size_t len, struct strv *ret)
{
        struct strv f = { 0 };
        int r = 0;

        for (const char *p = line; p <= line + len && r >= 0;) {
                size_t n = strcspn(p, "\t");
                char *raw, *field;

                if (p + n > line + len)
                        n = (size_t)(line + len - p);
                raw = strndup(p, n);
                field = raw ? unescape(raw) : NULL;
                r = !raw ? -ENOMEM : !field ? -EBADMSG : strv_consume(&f, field);
                free(raw);
                p += n + 1;
        }
        if (r < 0) {
                strv_free(&f);
                return r;
        }
        *ret = f;
        return 0;
}

int journal_parse(struct journal *j, const char *text, size_t len, const char *where, char **ret_reason)
{
        const char *line = text, *end = text + len, *sum_at = NULL;
        unsigned format = 0;
        bool have_state = false;
        size_t number = 0;
        int r = 0;

        if (memchr(text, '\0', len))
                return journal_refuse(ret_reason, -VS_E_JOURNAL, "%s: holds binary data", where);
        for (; line < end && r >= 0; number++) {
                const char *nl = memchr(line, '\n', (size_t)(end - line));
                struct strv f = { 0 };

                if (!nl)
                        return journal_refuse(ret_reason, -VS_E_JOURNAL, "%s:%zu: the last line is cut short", where, number + 1);
                if (sum_at)
                        return journal_refuse(ret_reason, -VS_E_JOURNAL, "%s:%zu: lines after the checksum", where, number + 1);
                if (line[0] == '#') {
                        line = nl + 1;
                        continue;
                }
                r = fields(line, (size_t)(nl - line), &f);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0 && format == 0) {
                        unsigned long v;

                        if (f.n != 2 || strcmp(f.v[0], "format") != 0 || !valid_number(f.v[1], 999, 10, &v) || v == 0)
                                r = -EBADMSG;
                        else if (v > JOURNAL_FORMAT)
                                r = journal_refuse(ret_reason, -VS_E_JOURNAL_NEWER,
                                           "%s is of format %lu, written by a newer vfio-setup (this one reads up to %d): "
                                           "undo with that version",
                                           where, v, JOURNAL_FORMAT);
                        else
                                format = (unsigned)v;
                } else if (r >= 0 && format >= 2 && strcmp(f.v[0], "sum") == 0) {
                        char want[65];

                        sha256_hex(text, (size_t)(line - text), want);
                        if (f.n != 2 || strcmp(f.v[1], want) != 0)
                                r = journal_refuse(ret_reason, -VS_E_JOURNAL, "%s:%zu: the checksum does not match: the journal "
                                           "was changed or damaged", where, number + 1);
                        sum_at = line;
                } else if (r >= 0)
                        r = parse_record(j, &f, format, &have_state);
                strv_free(&f);
                if (r == -EBADMSG)
                        return journal_refuse(ret_reason, -VS_E_JOURNAL, "%s:%zu: %s", where, number + 1,
                                      format ? "a record vfio-setup cannot read" : "no format line");
                line = nl + 1;
        }
        if (r < 0)
                return r;
        if (format == 0 || !have_state)
                return journal_refuse(ret_reason, -VS_E_JOURNAL, "%s: %s", where, format ? "no state" : "empty");
        if (format >= 2 && !sum_at)
                return journal_refuse(ret_reason, -VS_E_JOURNAL, "%s: no checksum: the journal is cut short", where);
        return 0;
}
