/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vfio-setup/apply.h"
#include "vfio-setup/machine.h"

/*
 * One apply or undo as a front end carries it out: the engine's result, how it ended and in
 * which words the engine says so, where its journal and output are, the commands the user
 * runs when regeneration is theirs, the machine as it is afterwards, and the files kept for
 * the user.  The CLI and the wizard each run one and word it their way.
 */
struct apply_session {
        bool undo;
        int error;                      /* 0 when it succeeded, else why not */
        char *failure;                  /* when it failed: what, and what was put back (read back) */
        struct apply_result result;
        char *journal;                  /* "/var/lib/vfio-setup/journal/0003", or NULL */
        struct strv by_hand;            /* the plan's commands, in order, when the options do not regenerate */
        struct machine *after;          /* the machine detected again (SESSION_REDETECT), when a file changed */
        struct strv kept;               /* files kept for the user (session_keep*), as paths below the root */
};

/* Detect the machine again afterwards, when a file changed. */
#define SESSION_REDETECT 1u

/*
 * Applies p, or undoes the last apply.  *ret is filled whatever the outcome (free it with
 * session_free); the return value is the engine's.
 */
int session_apply(const struct sysroot *sr, const struct plan *p, const struct apply_options *o, unsigned flags,
                  struct apply_session *ret);
int session_undo(const struct sysroot *sr, const struct apply_options *o, unsigned flags, struct apply_session *ret);

/*
 * Keeps text as rel (below the root, mode 0644) for the user, adding it to s->kept.  A record,
 * not configuration: the caller may carry on when it fails.
 */
int session_keep(const struct sysroot *sr, struct apply_session *s, const char *rel, const void *text, size_t len);
/*
 * After an apply: the reviewed plan, and the guest's libvirt elements and domain (any may be
 * NULL), kept under /var/lib/vfio-setup.
 */
#define SESSION_KEPT_PLAN "var/lib/vfio-setup/wizard-plan.txt"
#define SESSION_KEPT_XML "var/lib/vfio-setup/guest-devices.xml"
#define SESSION_KEPT_DOMAIN "var/lib/vfio-setup/guest-domain.xml"
/* ... and with a guest per GPU, the domains of the second GPU on (a printf format of their number). */
#define SESSION_KEPT_DOMAIN_N "var/lib/vfio-setup/guest-domain-%zu.xml"
void session_keep_review(const struct sysroot *sr, struct apply_session *s, const char *plan_text, const char *xml,
                         const char *domain);
/* Where a GPU's video BIOS is kept: "var/lib/vfio-setup/gpu-ADDRESS.rom". */
int session_rom_path(const struct pci_device *d, char **ret);

void session_free(struct apply_session *s);
