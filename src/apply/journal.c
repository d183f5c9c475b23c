/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio-setup/atomic.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/journal.h"
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

static char *unescape(const char *s)
{
        char *out = malloc(strlen(s) + 1), *w = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                if (*s == '\\' && s[1]) {
                        s++;
                        *w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
                } else
                        *w++ = *s;
        }
        *w = '\0';
        return out;
}

static int path_of(const struct journal *j, const char *name, char **ret)
{
        return asprintf(ret, JOURNAL_DIR "/%04u/%s", j->seq, name) < 0 ? -ENOMEM : 0;
}

static int save(const struct sysroot *sr, const struct journal *j)
{
        struct strbuf b = { 0 };
        char *text, *path;
        int r;

        strbuf_printf(&b, "# vfio-setup journal: what one apply changed, to put it back\nformat\t1\nstate\t%s\n",
                      state_names[j->state]);
        for (size_t i = 0; i < j->n; i++) {
                const struct journal_entry *e = &j->entries[i];

                strbuf_printf(&b, "file\t%s\t%o\t%u\t%u\t%s\t%s\t", action_names[e->action], (unsigned)e->mode,
                              (unsigned)e->uid, (unsigned)e->gid, *e->before ? e->before : "-", *e->after ? e->after : "-");
                put_escaped(&b, e->path);
                strbuf_printf(&b, "\n");
        }
        for (size_t i = 0; i < j->dirs.n; i++) {
                strbuf_printf(&b, "dir\t");
                put_escaped(&b, j->dirs.v[i]);
                strbuf_printf(&b, "\n");
        }
        for (size_t i = 0; i < j->n_commands; i++) {
                strbuf_printf(&b, "command");
                for (size_t k = 0; k < j->commands[i].n; k++) {
                        strbuf_printf(&b, "\t");
                        put_escaped(&b, j->commands[i].v[k]);
                }
                strbuf_printf(&b, "\n");
        }
        r = strbuf_finish(&b, &text);
        if (r < 0)
                return r;
        r = path_of(j, "journal", &path);
        if (r >= 0)
                r = atomic_write(sr, path, text, strlen(text), 0600, 0, 0, NULL);
        free(path);
        free(text);
        return r;
}

static int next_seq(const struct sysroot *sr, unsigned *ret)
{
        struct strv names = { 0 };
        unsigned max = 0;
        int r = sysroot_list(sr, JOURNAL_DIR, &names);

        if (r < 0 && r != -ENOENT)
                return r;
        for (size_t i = 0; i < names.n; i++) {
                unsigned v;
                char end;

                if (sscanf(names.v[i], "%u%c", &v, &end) == 1 && v > max)
                        max = v;
        }
        strv_free(&names);
        *ret = max + 1;
        return 0;
}

/* The parents of path that do not exist yet, outermost first, not already listed. */
static int missing_dirs(const struct sysroot *sr, const char *path, struct strv *dirs)
{
        char *copy = strdup(path);
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *slash = strchr(copy, '/'); slash && r >= 0; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (!sysroot_exists(sr, copy) && !strv_contains(dirs, copy))
                        r = strv_push(dirs, copy);
                *slash = '/';
        }
        free(copy);
        return r;
}

int journal_begin(const struct sysroot *sr, const struct plan *p, struct journal **ret)
{
        struct journal *j = calloc(1, sizeof(*j));
        int r;

        if (!j)
                return -ENOMEM;
        r = next_seq(sr, &j->seq);
        j->entries = calloc(p->n_files ? p->n_files : 1, sizeof(*j->entries));
        j->commands = calloc(p->n_commands ? p->n_commands : 1, sizeof(*j->commands));
        if (r >= 0 && (!j->entries || !j->commands))
                r = -ENOMEM;
        for (size_t i = 0; i < p->n_commands && r >= 0; i++, j->n_commands++)
                r = strv_merge(&j->commands[i], &p->commands[i]);
        for (size_t i = 0; i < p->n_files && r >= 0; i++) {
                const struct plan_file *f = &p->files[i];
                struct journal_entry *e = &j->entries[j->n++];
                struct stat st;
                char name[32], *backup;

                *e = (struct journal_entry){ .path = strdup(f->path), .action = f->action, .mode = f->mode ? f->mode : 0644,
                                             .uid = geteuid(), .gid = getegid() };
                if (!e->path) {
                        r = -ENOMEM;
                        break;
                }
                if (f->action != PLAN_CREATE) {
                        r = sysroot_stat(sr, f->path, true, &st);
                        if (r < 0)
                                break;
                        e->mode = st.st_mode & 07777;
                        e->uid = st.st_uid;
                        e->gid = st.st_gid;
                        sha256_hex(f->old_content, f->old_len, e->before);
                        snprintf(name, sizeof(name), "files/%zu", i);
                        r = path_of(j, name, &backup);
                        if (r >= 0)
                                r = atomic_write(sr, backup, f->old_content, f->old_len, 0600, 0, 0, NULL);
                        free(backup);
                } else
                        r = missing_dirs(sr, f->path, &j->dirs);
                if (f->action != PLAN_DELETE)
                        sha256_hex(f->new_content, f->new_len, e->after);
        }
        if (r >= 0)
                r = save(sr, j);
        if (r < 0) {
                journal_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

int journal_set_state(const struct sysroot *sr, struct journal *j, enum journal_state state)
{
        j->state = state;
        return save(sr, j);
}

static int parse_line(struct journal *j, char *line)
{
        struct strv f = { 0 };
        char *save = NULL;
        int r = 0;

        for (char *t = strtok_r(line, "\t", &save); t && r >= 0; t = strtok_r(NULL, "\t", &save))
                r = strv_consume(&f, unescape(t));
        if (r < 0 || f.n == 0) {
                strv_free(&f);
                return r;
        }
        if (strcmp(f.v[0], "state") == 0 && f.n == 2) {
                r = -VS_E_JOURNAL;
                for (int s = 0; s < _JOURNAL_STATE_MAX; s++)
                        if (strcmp(f.v[1], state_names[s]) == 0) {
                                j->state = (enum journal_state)s;
                                r = 0;
                        }
        } else if (strcmp(f.v[0], "file") == 0 && f.n == 8) {
                struct journal_entry *v = realloc(j->entries, (j->n + 1) * sizeof(*v)), *e;
                unsigned mode, uid, gid;

                if (!v) {
                        strv_free(&f);
                        return -ENOMEM;
                }
                j->entries = v;
                e = &v[j->n];
                *e = (struct journal_entry){ 0 };
                e->action = strcmp(f.v[1], "create") == 0 ? PLAN_CREATE : strcmp(f.v[1], "delete") == 0 ? PLAN_DELETE : PLAN_MODIFY;
                if (sscanf(f.v[2], "%o", &mode) != 1 || sscanf(f.v[3], "%u", &uid) != 1 || sscanf(f.v[4], "%u", &gid) != 1 ||
                    strlen(f.v[5]) > 64 || strlen(f.v[6]) > 64)
                        r = -VS_E_JOURNAL;
                else {
                        e->mode = mode;
                        e->uid = uid;
                        e->gid = gid;
                        snprintf(e->before, sizeof(e->before), "%s", strcmp(f.v[5], "-") ? f.v[5] : "");
                        snprintf(e->after, sizeof(e->after), "%s", strcmp(f.v[6], "-") ? f.v[6] : "");
                        e->path = strdup(f.v[7]);
                        r = e->path ? 0 : -ENOMEM;
                        j->n += r >= 0;
                }
        } else if (strcmp(f.v[0], "dir") == 0 && f.n == 2) {
                r = strv_push(&j->dirs, f.v[1]);
        } else if (strcmp(f.v[0], "command") == 0 && f.n >= 2) {
                struct strv *v = realloc(j->commands, (j->n_commands + 1) * sizeof(*v));

                if (!v)
                        r = -ENOMEM;
                else {
                        j->commands = v;
                        v[j->n_commands] = (struct strv){ 0 };
                        for (size_t k = 1; k < f.n && r >= 0; k++)
                                r = strv_push(&v[j->n_commands], f.v[k]);
                        j->n_commands++;
                }
        }
        strv_free(&f);
        return r;
}

static int load(const struct sysroot *sr, unsigned seq, struct journal **ret)
{
        struct journal *j = calloc(1, sizeof(*j));
        char *path, *text = NULL, *line, *save = NULL;
        int r;

        if (!j)
                return -ENOMEM;
        j->seq = seq;
        j->state = _JOURNAL_STATE_MAX;
        r = path_of(j, "journal", &path);
        if (r >= 0) {
                r = sysroot_read(sr, path, 1024 * 1024, &text, NULL);
                free(path);
        }
        for (line = r >= 0 ? strtok_r(text, "\n", &save) : NULL; line && r >= 0; line = strtok_r(NULL, "\n", &save))
                if (line[0] != '#')
                        r = parse_line(j, line);
        free(text);
        if (r >= 0 && j->state == _JOURNAL_STATE_MAX)
                r = -VS_E_JOURNAL;
        if (r < 0) {
                journal_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

static int cmp_desc(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? 1 : x > y ? -1 : 0;
}

int journal_open_last(const struct sysroot *sr, struct journal **ret)
{
        struct strv names = { 0 };
        unsigned *seqs;
        size_t n = 0;
        int r = sysroot_list(sr, JOURNAL_DIR, &names);

        if (r < 0)
                return r;
        seqs = calloc(names.n ? names.n : 1, sizeof(*seqs));
        if (!seqs) {
                strv_free(&names);
                return -ENOMEM;
        }
        for (size_t i = 0; i < names.n; i++) {
                char end;

                if (sscanf(names.v[i], "%u%c", &seqs[n], &end) == 1)
                        n++;
        }
        strv_free(&names);
        qsort(seqs, n, sizeof(*seqs), cmp_desc);
        r = -ENOENT;
        for (size_t i = 0; i < n; i++) {
                struct journal *j;
                int k = load(sr, seqs[i], &j);

                if (k < 0) {
                        r = k;
                        break;
                }
                if (j->state == JOURNAL_BEGUN || j->state == JOURNAL_COMPLETE) {
                        *ret = j;
                        r = 0;
                        break;
                }
                journal_free(j);
        }
        free(seqs);
        return r;
}

int journal_backup(const struct sysroot *sr, const struct journal *j, size_t i, char **ret, size_t *ret_len)
{
        char name[32], *path;
        int r;

        snprintf(name, sizeof(name), "files/%zu", i);
        r = path_of(j, name, &path);
        if (r < 0)
                return r;
        r = sysroot_read(sr, path, 0, ret, ret_len);
        free(path);
        return r;
}

void journal_free(struct journal *j)
{
        if (!j)
                return;
        for (size_t i = 0; i < j->n; i++)
                free(j->entries[i].path);
        free(j->entries);
        strv_free(&j->dirs);
        for (size_t i = 0; i < j->n_commands; i++)
                strv_free(&j->commands[i]);
        free(j->commands);
        free(j);
}
