/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "vfio-setup/plan.h"
#include "vfio-setup/sysroot.h"

/*
 * What one apply changed, kept below JOURNAL_DIR/NNNN: for each file its
 * mode, owner and SHA-256 before and after, the name of a copy of what it
 * held, the directories apply made, and the regeneration commands.  It is
 * built aside and renamed into place, with the copies, before the first file
 * is touched, so that an apply cut short can always be rolled back; its state
 * says how far the apply got.  The journal ends with a checksum of itself.
 *
 * Reading one trusts nothing in it: it and every directory from the root to
 * it must be owned by the user running vfio-setup (var and var/lib may be
 * root's) and writable by nobody else, with no link on the way; it must be of
 * a known format, every record whole and well-formed, and every copy must
 * match its SHA-256; otherwise it is refused as a whole, with the record named.
 */
#define JOURNAL_DIR "var/lib/vfio-setup/journal"
#define JOURNAL_FORMAT 4

enum journal_state { JOURNAL_BEGUN, JOURNAL_COMPLETE, JOURNAL_ROLLED_BACK, JOURNAL_UNDONE, _JOURNAL_STATE_MAX };

struct journal_entry {
        char *path;                     /* below the root, no leading '/' */
        enum plan_action action;
        mode_t mode;                    /* before (or for a new file, the one it gets) */
        uid_t uid;
        gid_t gid;
        char before[65];                /* SHA-256; "" when the file did not exist */
        char after[65];                 /* "" when apply removes it */
        char *backup;                   /* the copy of the file before, "files/N"; NULL for a new file */
        /*
         * A new file that undo writes as its copy rather than removing it
         * (plan_file.seed): before and backup are the seed's.  A rollback,
         * in the same boot, still removes it.
         */
        bool seeded;
};

struct journal {
        unsigned seq;
        enum journal_state state;
        struct journal_entry *entries;
        size_t n;
        struct strv dirs;               /* directories apply makes, parents first */
        struct strv *commands;
        struct strv *undo_commands;     /* per command, what undoes it; empty: run it again (plan.undo_commands) */
        size_t n_commands;
        int dir_fd;                     /* its directory, reached through checked descriptors; copies are read from it */
};

/* Records the plan and copies the files it touches; state BEGUN. */
int journal_begin(const struct sysroot *sr, const struct plan *p, struct journal **ret);
int journal_set_state(const struct sysroot *sr, struct journal *j, enum journal_state state);
/*
 * The newest journal with something to roll back or undo (BEGUN or
 * COMPLETE); -ENOENT when none.  -VS_E_JOURNAL, -VS_E_JOURNAL_NEWER or
 * -VS_E_UNTRUSTED_JOURNAL with *ret_reason saying which file or record is wrong.
 */
int journal_open_last(const struct sysroot *sr, struct journal **ret, char **ret_reason);
/* The copy of entry i taken before apply, checked against its SHA-256 (-VS_E_JOURNAL with a reason if it differs). */
int journal_backup(const struct journal *j, size_t i, char **ret, size_t *ret_len, char **ret_reason);
/*
 * Removes what runs killed half-way left behind: journals that were never
 * renamed into place, and temporary files beside the newest journal's files.
 */
int journal_tidy(const struct sysroot *sr);
/*
 * Keeps text (the commands' output) as NAME in the journal's directory,
 * beside the journal and outside its checksum: it is for people to read.
 * *ret_path is "/var/lib/vfio-setup/journal/NNNN/NAME".
 */
int journal_put_text(const struct sysroot *sr, unsigned seq, const char *name, const char *text, size_t len,
                     char **ret_path);
void journal_free(struct journal *j);
const char *journal_state_name(enum journal_state s);
