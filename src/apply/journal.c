/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio-setup/atomic.h"
#include "vfio-setup/commands.h"
#include "vfio-setup/diskop.h"
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

/* A journal's directory while it is built, and once it is in place. */
static int dir_of(unsigned seq, bool building, const char *name, char **ret)
{
        int n = building ? asprintf(ret, JOURNAL_DIR "/.%04u.new%s%s", seq, name ? "/" : "", name ? name : "")
                         : asprintf(ret, JOURNAL_DIR "/%04u%s%s", seq, name ? "/" : "", name ? name : "");

        return n < 0 ? -ENOMEM : 0;
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

static int save(const struct sysroot *sr, const struct journal *j, bool building)
{
        struct strbuf b = { 0 };
        char *text, *path, sum[65];
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
        r = strbuf_finish(&b, &text);
        if (r < 0)
                return r;
        r = dir_of(j->seq, building, "journal", &path);
        if (r >= 0)
                r = atomic_write(sr, path, text, strlen(text), 0600, 0, 0, NULL);
        free(path);
        free(text);
        return r;
}

/* A journal's number: digits only, as journal_begin names them. */
static bool seq_of(const char *name, unsigned *ret)
{
        unsigned long v;
        char *end;

        if (!isdigit((unsigned char)name[0]))
                return false;
        errno = 0;
        v = strtoul(name, &end, 10);
        if (*end || errno || v == 0 || v > 999999)
                return false;
        *ret = (unsigned)v;
        return true;
}

static int cmp_desc(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? 1 : x > y ? -1 : 0;
}

/* The numbers of the journals in place in the journal directory jfd, newest first. */
static int list_seqs(int jfd, unsigned **ret, size_t *ret_n)
{
        struct strv names = { 0 };
        unsigned *seqs;
        size_t n = 0;
        int r = sysroot_list_fd(jfd, &names);

        if (r < 0)
                return r;
        seqs = calloc(names.n ? names.n : 1, sizeof(*seqs));
        if (!seqs) {
                strv_free(&names);
                return -ENOMEM;
        }
        for (size_t i = 0; i < names.n; i++)
                n += seq_of(names.v[i], &seqs[n]);
        strv_free(&names);
        qsort(seqs, n, sizeof(*seqs), cmp_desc);
        *ret = seqs;
        *ret_n = n;
        return 0;
}

static int next_seq(const struct sysroot *sr, unsigned *ret)
{
        unsigned *seqs;
        size_t n;
        int jfd, r = sysroot_open(sr, JOURNAL_DIR, O_PATH | O_DIRECTORY, &jfd);

        if (r == -ENOENT) {
                *ret = 1;
                return 0;
        }
        if (r < 0)
                return r;
        r = list_seqs(jfd, &seqs, &n);
        close(jfd);
        if (r < 0)
                return r;
        *ret = n ? seqs[0] + 1 : 1;
        free(seqs);
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

static int fsync_dir(const struct sysroot *sr, const char *rel)
{
        int fd, r = sysroot_open(sr, rel, O_RDONLY | O_DIRECTORY, &fd);

        if (r < 0)
                return r;
        r = disk_fsync(fd);
        close(fd);
        return r;
}

static int refuse(char **ret_reason, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char **ret_reason, int err, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(ret_reason, fmt, ap);
        va_end(ap);
        return n < 0 ? -ENOMEM : err;
}

/*
 * Only the user running vfio-setup may have written what undo trusts: owned by
 * that user (var and var/lib also by root), writable by nobody else, no link on
 * the way.  Each step is checked on the descriptor the next one is opened from,
 * so what is checked is what is read, whatever is renamed meanwhile.
 */
static int check_trusted(int fd, const char *shown, bool root_may_own, char **ret_reason)
{
        struct stat st;
        bool owner;

        if (fstat(fd, &st) < 0)
                return refuse(ret_reason, -VS_E_JOURNAL, "/%s: %s", shown, vs_strerror(-errno));
        owner = st.st_uid == geteuid() || (root_may_own && st.st_uid == 0);
        if (!owner || (st.st_mode & 022))
                return refuse(ret_reason, -VS_E_UNTRUSTED_JOURNAL,
                              "/%s is %s: vfio-setup keeps its journal only where no one else can write", shown,
                              !owner ? "owned by another user" : "writable by others");
        return 0;
}

/*
 * Opens name below parent without following a link, and checks it; shown is its
 * path below the root.  -ENOENT when it is not there.
 */
static int open_trusted(int parent, const char *name, int flags, const char *shown, bool root_may_own, int *ret_fd,
                        char **ret_reason)
{
        struct stat st;
        int fd = openat(parent, name, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC), r;

        if (fd < 0) {
                r = -errno;
                if (r == -ENOENT)
                        return r;
                if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                        return refuse(ret_reason, -VS_E_UNTRUSTED_JOURNAL, "/%s is a link: vfio-setup trusts only its own "
                                      "journal", shown);
                return refuse(ret_reason, -VS_E_JOURNAL, "/%s: %s", shown, vs_strerror(r));
        }
        r = check_trusted(fd, shown, root_may_own, ret_reason);
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

/*
 * The journal directory, reached once from the root and checked at each step; -ENOENT when
 * there is none.  var/lib may be a link (a system keeping its state elsewhere): the directories
 * it leads through are checked instead, as the kernel names them; vfio-setup's own may not.
 */
static int open_journal_dir(const struct sysroot *sr, int *ret_fd, char **ret_reason)
{
        static const char *const own[] = { "vfio-setup", "journal" };
        char shown[PATH_MAX] = "", *lib;
        int fd, r = sysroot_resolve(sr, "var/lib", &lib);

        if (r < 0)
                return r == -ENOENT || r == -ENOMEM ? r : refuse(ret_reason, -VS_E_JOURNAL, "/var/lib: %s", vs_strerror(r));
        r = sysroot_open(sr, ".", O_PATH | O_DIRECTORY, &fd);
        for (char *c = strcmp(lib, ".") == 0 ? lib + 1 : lib, *save = NULL, *name = strtok_r(c, "/", &save);
             r >= 0 && name; name = strtok_r(NULL, "/", &save)) {
                int next;

                snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%s%s", *shown ? "/" : "", name);
                r = open_trusted(fd, name, O_PATH | O_DIRECTORY, shown, true, &next, ret_reason);
                close(fd);
                fd = next;
        }
        free(lib);
        for (size_t i = 0; i < sizeof(own) / sizeof(own[0]) && r >= 0; i++) {
                int next;

                snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%s%s", *shown ? "/" : "", own[i]);
                r = open_trusted(fd, own[i], O_PATH | O_DIRECTORY, shown, false, &next, ret_reason);
                close(fd);
                fd = next;
        }
        if (r < 0)
                return r;
        *ret_fd = fd;
        return 0;
}

/* Journal seq's own directory, below the journal directory jfd. */
static int open_seq_dir(int jfd, unsigned seq, int *ret_fd, char **ret_reason)
{
        char name[16], shown[sizeof(JOURNAL_DIR) + 16];

        snprintf(name, sizeof(name), "%04u", seq);
        snprintf(shown, sizeof(shown), JOURNAL_DIR "/%s", name);
        return open_trusted(jfd, name, O_PATH | O_DIRECTORY, shown, false, ret_fd, ret_reason);
}

/* Reads name (one component, or "files/N") below a journal's directory dfd, each step checked. */
static int read_trusted(int dfd, unsigned seq, const char *name, char **ret, size_t *ret_len, char **ret_reason)
{
        char shown[sizeof(JOURNAL_DIR) + 64];
        const char *slash = strchr(name, '/');
        int fd = -1, sub = -1, r = 0;

        if (slash) {
                char dir[32];

                if ((size_t)(slash - name) >= sizeof(dir))
                        return -EINVAL;
                snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
                snprintf(shown, sizeof(shown), JOURNAL_DIR "/%04u/%s", seq, dir);
                r = open_trusted(dfd, dir, O_PATH | O_DIRECTORY, shown, false, &sub, ret_reason);
                name = slash + 1;
        }
        snprintf(shown, sizeof(shown), JOURNAL_DIR "/%04u/%s%s%s", seq, slash ? "files" : "", slash ? "/" : "", name);
        if (r >= 0)
                r = open_trusted(sub >= 0 ? sub : dfd, name, O_RDONLY | O_NONBLOCK, shown, false, &fd, ret_reason);
        if (sub >= 0)
                close(sub);
        if (r >= 0) {
                r = sysroot_read_fd(fd, 0, ret, ret_len);
                close(fd);
                if (r < 0 && r != -ENOMEM)
                        r = refuse(ret_reason, -VS_E_JOURNAL, "/%s: %s", shown, vs_strerror(r));
        }
        return r;
}

/* Renames the journal built aside into place: until then, no apply of it exists. */
static int publish(const struct sysroot *sr, const struct journal *j)
{
        char building[32], done[32];
        int fd, r;

        snprintf(building, sizeof(building), ".%04u.new", j->seq);
        snprintf(done, sizeof(done), "%04u", j->seq);
        r = sysroot_open(sr, JOURNAL_DIR, O_RDONLY | O_DIRECTORY, &fd);
        if (r < 0)
                return r;
        r = disk_renameat(fd, building, fd, done);
        /* Not known to be on the disk: no file may be written on its strength, and it goes back aside. */
        if (r >= 0 && (r = disk_fsync(fd)) < 0)
                (void)disk_renameat(fd, done, fd, building);
        close(fd);
        return r;
}

int journal_begin(const struct sysroot *sr, const struct plan *p, struct journal **ret)
{
        struct journal *j;
        char *files;
        int r;

        /* A journal holds only what undo will run again: a plan naming anything else writes nothing. */
        for (size_t i = 0; i < p->n_commands; i++)
                if (!command_known(&p->commands[i]) || (p->undo_commands[i].n && !command_known(&p->undo_commands[i])))
                        return -EINVAL;
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->dir_fd = -1;
        r = next_seq(sr, &j->seq);
        j->entries = calloc(p->n_files ? p->n_files : 1, sizeof(*j->entries));
        j->commands = calloc(p->n_commands ? p->n_commands : 1, sizeof(*j->commands));
        j->undo_commands = calloc(p->n_commands ? p->n_commands : 1, sizeof(*j->undo_commands));
        if (r >= 0 && (!j->entries || !j->commands || !j->undo_commands))
                r = -ENOMEM;
        for (size_t i = 0; i < p->n_commands && r >= 0; i++, j->n_commands++) {
                r = strv_merge(&j->commands[i], &p->commands[i]);
                if (r >= 0)
                        r = strv_merge(&j->undo_commands[i], &p->undo_commands[i]);
        }
        for (size_t i = 0; i < p->n_files && r >= 0; i++) {
                const struct plan_file *f = &p->files[i];
                struct journal_entry *e = &j->entries[j->n++];
                struct stat st;
                char *backup;

                *e = (struct journal_entry){ .path = strdup(f->path), .action = f->action, .mode = f->mode ? f->mode : 0644,
                                             .uid = geteuid(), .gid = getegid() };
                if (!e->path) {
                        r = -ENOMEM;
                        break;
                }
                if (f->action != PLAN_CREATE || f->seed) {
                        const char *copy = f->seed ? f->seed : f->old_content;
                        size_t copy_len = f->seed ? f->seed_len : f->old_len;

                        if (f->action != PLAN_CREATE) {
                                r = sysroot_stat(sr, f->path, true, &st);
                                if (r < 0)
                                        break;
                                e->mode = st.st_mode & 07777;
                                e->uid = st.st_uid;
                                e->gid = st.st_gid;
                        }
                        e->seeded = f->action == PLAN_CREATE;
                        sha256_hex(copy, copy_len, e->before);
                        if (asprintf(&e->backup, "files/%zu", i) < 0) {
                                e->backup = NULL;
                                r = -ENOMEM;
                                break;
                        }
                        r = dir_of(j->seq, true, e->backup, &backup);
                        if (r >= 0)
                                r = atomic_write(sr, backup, copy, copy_len, 0600, 0, 0, NULL);
                        free(backup);
                }
                if (f->action == PLAN_CREATE && r >= 0)
                        r = missing_dirs(sr, f->path, &j->dirs);
                if (f->action != PLAN_DELETE)
                        sha256_hex(f->new_content, f->new_len, e->after);
        }
        for (size_t i = 0; i < j->n && r >= 0; i++)
                if (j->entries[i].backup) {
                        r = dir_of(j->seq, true, "files", &files);
                        if (r >= 0)
                                r = fsync_dir(sr, files);
                        free(files);
                        break;
                }
        if (r >= 0)
                r = save(sr, j, true);
        if (r >= 0)
                r = publish(sr, j);
        /* A rollback reads the copies back the way undo would. */
        if (r >= 0) {
                char *reason = NULL;
                int jfd;

                r = open_journal_dir(sr, &jfd, &reason);
                if (r >= 0) {
                        r = open_seq_dir(jfd, j->seq, &j->dir_fd, &reason);
                        close(jfd);
                }
                free(reason);
        }
        if (r < 0) {
                journal_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

int journal_set_state(const struct sysroot *sr, struct journal *j, enum journal_state state)
{
        enum journal_state was = j->state;
        int r;

        j->state = state;
        r = save(sr, j, false);
        if (r < 0)
                j->state = was;
        return r;
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

static int parse(struct journal *j, const char *text, size_t len, const char *where, char **ret_reason)
{
        const char *line = text, *end = text + len, *sum_at = NULL;
        unsigned format = 0;
        bool have_state = false;
        size_t number = 0;
        int r = 0;

        if (memchr(text, '\0', len))
                return refuse(ret_reason, -VS_E_JOURNAL, "%s: holds binary data", where);
        for (; line < end && r >= 0; number++) {
                const char *nl = memchr(line, '\n', (size_t)(end - line));
                struct strv f = { 0 };

                if (!nl)
                        return refuse(ret_reason, -VS_E_JOURNAL, "%s:%zu: the last line is cut short", where, number + 1);
                if (sum_at)
                        return refuse(ret_reason, -VS_E_JOURNAL, "%s:%zu: lines after the checksum", where, number + 1);
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
                                r = refuse(ret_reason, -VS_E_JOURNAL_NEWER,
                                           "%s is of format %lu, written by a newer vfio-setup (this one reads up to %d): "
                                           "undo with that version",
                                           where, v, JOURNAL_FORMAT);
                        else
                                format = (unsigned)v;
                } else if (r >= 0 && format >= 2 && strcmp(f.v[0], "sum") == 0) {
                        char want[65];

                        sha256_hex(text, (size_t)(line - text), want);
                        if (f.n != 2 || strcmp(f.v[1], want) != 0)
                                r = refuse(ret_reason, -VS_E_JOURNAL, "%s:%zu: the checksum does not match: the journal "
                                           "was changed or damaged", where, number + 1);
                        sum_at = line;
                } else if (r >= 0)
                        r = parse_record(j, &f, format, &have_state);
                strv_free(&f);
                if (r == -EBADMSG)
                        return refuse(ret_reason, -VS_E_JOURNAL, "%s:%zu: %s", where, number + 1,
                                      format ? "a record vfio-setup cannot read" : "no format line");
                line = nl + 1;
        }
        if (r < 0)
                return r;
        if (format == 0 || !have_state)
                return refuse(ret_reason, -VS_E_JOURNAL, "%s: %s", where, format ? "no state" : "empty");
        if (format >= 2 && !sum_at)
                return refuse(ret_reason, -VS_E_JOURNAL, "%s: no checksum: the journal is cut short", where);
        return 0;
}

static int load(int jfd, unsigned seq, struct journal **ret, char **ret_reason)
{
        struct journal *j = calloc(1, sizeof(*j));
        char *text = NULL, where[sizeof(JOURNAL_DIR) + 32];
        size_t len;
        int r;

        if (!j)
                return -ENOMEM;
        j->seq = seq;
        r = open_seq_dir(jfd, seq, &j->dir_fd, ret_reason);
        if (r < 0)
                j->dir_fd = -1;
        else
                r = read_trusted(j->dir_fd, seq, "journal", &text, &len, ret_reason);
        if (r >= 0) {
                snprintf(where, sizeof(where), "/" JOURNAL_DIR "/%04u/journal", seq);
                r = parse(j, text, len, where, ret_reason);
        }
        free(text);
        if (r < 0) {
                journal_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

int journal_open_last(const struct sysroot *sr, struct journal **ret, char **ret_reason)
{
        unsigned *seqs;
        size_t n;
        int jfd, r;

        r = open_journal_dir(sr, &jfd, ret_reason);
        if (r < 0)
                return r;
        r = list_seqs(jfd, &seqs, &n);
        if (r < 0) {
                close(jfd);
                return r;
        }
        r = -ENOENT;
        for (size_t i = 0; i < n; i++) {
                struct journal *j;
                int k = load(jfd, seqs[i], &j, ret_reason);

                /* A directory without its journal never held an apply: journal_tidy removes it. */
                if (k == -ENOENT)
                        continue;
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
        close(jfd);
        return r;
}

int journal_backup(const struct journal *j, size_t i, char **ret, size_t *ret_len, char **ret_reason)
{
        const struct journal_entry *e = &j->entries[i];
        char *data, hash[65];
        size_t len;
        int r;

        if (j->dir_fd < 0)
                return -EBADF;
        r = read_trusted(j->dir_fd, j->seq, e->backup, &data, &len, ret_reason);
        if (r == -ENOENT)
                r = refuse(ret_reason, -VS_E_JOURNAL, "/" JOURNAL_DIR "/%04u/%s, the copy of /%s: %s", j->seq,
                           e->backup, e->path, vs_strerror(r));
        if (r < 0)
                return r;
        sha256_hex(data, len, hash);
        if (strcmp(hash, e->before) != 0) {
                free(data);
                return refuse(ret_reason, -VS_E_JOURNAL, "/" JOURNAL_DIR "/%04u/%s, the copy of /%s, is not what the "
                              "file held: it was changed or damaged", j->seq, e->backup, e->path);
        }
        *ret = data;
        *ret_len = len;
        return 0;
}

/* Removes a journal directory that holds no apply: its copies, its journal, temporaries, itself. */
static int remove_dir_of_ours(int parent, const char *name, int depth)
{
        struct dirent *de;
        DIR *d;
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        while (r >= 0 && (de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode) && depth > 0)
                        r = remove_dir_of_ours(dirfd(d), de->d_name, depth - 1);
                else if (S_ISREG(st.st_mode) && st.st_uid == geteuid())
                        r = disk_unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
        if (r >= 0)
                r = disk_unlinkat(parent, name, AT_REMOVEDIR);
        if (r >= 0)
                r = disk_fsync(parent);
        return r;
}

/* The journals never published, and numbered directories without a journal. */
static int remove_orphans(int jfd)
{
        struct strv names = { 0 };
        int r = sysroot_list_fd(jfd, &names);

        for (size_t i = 0; i < names.n && r >= 0; i++) {
                const char *name = names.v[i];
                size_t len = strlen(name);
                struct stat st;
                unsigned seq;
                bool orphan = false;

                if (name[0] == '.' && len > 5 && strcmp(name + len - 4, ".new") == 0)
                        orphan = true;
                else if (seq_of(name, &seq)) {
                        char *journal;

                        if (asprintf(&journal, "%s/journal", name) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        orphan = fstatat(jfd, journal, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
                        free(journal);
                }
                if (orphan && fstatat(jfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
                    st.st_uid == geteuid())
                        r = remove_dir_of_ours(jfd, name, 1);
        }
        strv_free(&names);
        return r;
}

static char *parent_of(const char *rel)
{
        const char *slash = strrchr(rel, '/');

        return slash ? strndup(rel, (size_t)(slash - rel)) : strdup(".");
}

int journal_tidy(const struct sysroot *sr)
{
        struct journal *j = NULL;
        char *reason = NULL;
        unsigned *seqs = NULL;
        size_t n = 0;
        int path_fd, jfd, r;

        /* A journal directory that is not the user's alone is left as it is: reading it refuses it, saying why. */
        r = open_journal_dir(sr, &path_fd, &reason);
        free(reason);
        reason = NULL;
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        jfd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = jfd < 0 ? -errno : remove_orphans(jfd);
        if (jfd >= 0)
                close(jfd);
        if (r >= 0)
                r = list_seqs(path_fd, &seqs, &n);
        /* Only the newest apply can have been cut short, and only its files have temporaries beside them. */
        if (r >= 0 && n > 0 && load(path_fd, seqs[0], &j, &reason) >= 0) {
                char *dir;

                r = dir_of(j->seq, false, NULL, &dir);
                if (r >= 0) {
                        r = atomic_clean_temporaries(sr, dir);
                        free(dir);
                }
                for (size_t i = 0; i < j->n && r >= 0; i++) {
                        char *parent = parent_of(j->entries[i].path);

                        r = parent ? atomic_clean_temporaries(sr, parent) : -ENOMEM;
                        free(parent);
                }
                journal_free(j);
        }
        close(path_fd);
        free(reason);
        free(seqs);
        return r;
}

int journal_put_text(const struct sysroot *sr, unsigned seq, const char *name, const char *text, size_t len,
                     char **ret_path)
{
        char *path, *shown;
        int r = dir_of(seq, false, name, &path);

        if (r < 0)
                return r;
        r = atomic_write(sr, path, text, len, 0600, 0, 0, NULL);
        if (r >= 0 && asprintf(&shown, "/%s", path) < 0)
                r = -ENOMEM;
        free(path);
        if (r >= 0)
                *ret_path = shown;
        return r;
}

void journal_free(struct journal *j)
{
        if (!j)
                return;
        for (size_t i = 0; i < j->n; i++) {
                free(j->entries[i].path);
                free(j->entries[i].backup);
        }
        free(j->entries);
        strv_free(&j->dirs);
        commands_free(j->commands, j->n_commands);
        commands_free(j->undo_commands, j->n_commands);
        if (j->dir_fd >= 0)
                close(j->dir_fd);
        free(j);
}
