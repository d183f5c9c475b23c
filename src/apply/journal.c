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
#include "journal_format.h"
#include "vfio-setup/journal.h"
#include "vfio-setup/sha256.h"
#include "vfio-setup/strbuf.h"

/* A journal's directory while it is built, and once it is in place. */
static int dir_of(unsigned seq, bool building, const char *name, char **ret)
{
        int n = building ? asprintf(ret, JOURNAL_DIR "/.%04u.new%s%s", seq, name ? "/" : "", name ? name : "")
                         : asprintf(ret, JOURNAL_DIR "/%04u%s%s", seq, name ? "/" : "", name ? name : "");

        return n < 0 ? -ENOMEM : 0;
}

static int save(const struct sysroot *sr, const struct journal *j, bool building)
{
        char *text, *path;
        int r;

        r = journal_format_text(j, &text);
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
                return journal_refuse(ret_reason, -VS_E_JOURNAL, "/%s: %s", shown, vs_strerror(-errno));
        owner = st.st_uid == geteuid() || (root_may_own && st.st_uid == 0);
        if (!owner || (st.st_mode & 022))
                return journal_refuse(ret_reason, -VS_E_UNTRUSTED_JOURNAL,
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
                        return journal_refuse(ret_reason, -VS_E_UNTRUSTED_JOURNAL, "/%s is a link: vfio-setup trusts only its own "
                                      "journal", shown);
                return journal_refuse(ret_reason, -VS_E_JOURNAL, "/%s: %s", shown, vs_strerror(r));
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
                return r == -ENOENT || r == -ENOMEM ? r : journal_refuse(ret_reason, -VS_E_JOURNAL, "/var/lib: %s", vs_strerror(r));
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
                        r = journal_refuse(ret_reason, -VS_E_JOURNAL, "/%s: %s", shown, vs_strerror(r));
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
                r = journal_parse(j, text, len, where, ret_reason);
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
                r = journal_refuse(ret_reason, -VS_E_JOURNAL, "/" JOURNAL_DIR "/%04u/%s, the copy of /%s: %s", j->seq,
                           e->backup, e->path, vs_strerror(r));
        if (r < 0)
                return r;
        sha256_hex(data, len, hash);
        if (strcmp(hash, e->before) != 0) {
                free(data);
                return journal_refuse(ret_reason, -VS_E_JOURNAL, "/" JOURNAL_DIR "/%04u/%s, the copy of /%s, is not what the "
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
