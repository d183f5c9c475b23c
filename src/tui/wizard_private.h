/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The wizard's state and the interface every step implements. */

#include "vfio-setup/findings.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/selection.h"
#include "vfio-setup/session.h"
#include "vfio-setup/wizard.h"

enum step_id {
        STEP_SUMMARY, STEP_HARDWARE, STEP_BIOS, STEP_GPU, STEP_BOOT, STEP_GOAL, STEP_REVIEW, STEP_APPLY, STEP_DONE,
        _STEP_MAX
};

/* STEP_HOLD: stay, and Enter does not go on either (the step cannot be passed). */
enum step_result { STEP_STAY, STEP_HOLD, STEP_NEXT, STEP_BACK, STEP_QUIT, STEP_GOTO };

struct wizard;

/* OUTCOME_APPLIED with w->trial: set up as a trial; OUTCOME_COMMITTED: a trial made the default. */
enum outcome { OUTCOME_NONE, OUTCOME_APPLIED, OUTCOME_REMOVED, OUTCOME_NOTHING, OUTCOME_FAILED, OUTCOME_UNDONE,
               OUTCOME_COMMITTED };

struct step_ops {
        const char *title;
        const char *help;
        /* The keys this step takes, "key what" items two spaces apart; ? help and q quit follow. */
        const char *keys;
        /* Or, where they change with the step's state: */
        const char *(*keys_now)(const struct wizard *w, const void *priv);
        /* The view (cursor, scroll) outlives leaving the step: going back finds it as it was. */
        bool keeps_view;
        /* A text taller than the screen scrolls with Up/Down, PgUp/PgDn, Home/End (the step takes none of them). */
        bool scrolls;
        size_t private_size;
        /* Builds the step's view from the machine and the selection; 0 or -errno. */
        int (*enter)(struct wizard *w, void *priv);
        /* Frees what enter allocated inside priv, or NULL. */
        void (*release)(void *priv);
        /* Draws into rows top..bottom (exclusive) of the canvas. */
        void (*draw)(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom);
        /* STEP_GOTO goes to w->goto_step. */
        enum step_result (*key)(struct wizard *w, void *priv, int key);
};

extern const struct step_ops summary_step, hardware_step, bios_step, gpu_step, boot_step, goal_step, review_step,
        apply_step, done_step;

/* The name of the domain the wizard saves for the guest. */
#define GUEST_DOMAIN_NAME "vfio-guest"

struct wizard {
        const struct sysroot *sr;
        struct machine *m;
        struct findings findings;
        struct wizard_options o;
        struct selection sel;
        enum step_id step, goto_step;
        enum step_id history[32];
        size_t depth;
        void *priv[_STEP_MAX];
        bool changed;                   /* choices made that apply has not written */
        bool help, asking_quit, finished;
        int help_scroll;
        int body_scroll, body_rows, body_room; /* a scrolling step's: where it is, its height, the rows shown */
        int width, height;              /* of the last drawing */
        bool too_small;                 /* the last drawing could not show the step: keys wait */
        bool began;                     /* a step began (or apply ended): input typed ahead is not for it */
        char *error;                    /* a step could not be shown */
        bool applied;                   /* apply (or undo) succeeded */
        bool undo;                      /* the apply step puts back the last apply instead */
        bool has_pending;               /* there is an apply to undo: pending says which */
        struct undo_preview pending;
        enum outcome outcome;           /* what the apply step ended with, for Done */
        bool trial;                     /* ... a plan applied as a trial */
        struct apply_session session;   /* the last apply or undo: its failure, journal, output, files kept */
        char *plan_text;                /* the reviewed plan's text, kept for Done */
        char *libvirt_xml;              /* the reviewed plan's elements for the guest's domain */
        char *libvirt_domain;           /* ... and a whole domain for it (GUEST_DOMAIN_NAME) */
        enum guest_os guest_os;         /* the system that domain is for (Goal screen; Windows at first) */
        bool guest_per_gpu;             /* several GPUs: a domain each (more_domains), else one for all */
        struct strv more_domains;       /* ... the domains of the GPUs after the first, in order */
        struct strv users;              /* who logs in here: the Looking Glass user to choose from */
};

/* The findings of one section as status lines; returns the row after them. */
int draw_findings(const struct wizard *w, struct canvas *c, int y, int bottom, enum section s);
/* One line of a list; selected lines stand out. */
void draw_item(struct canvas *c, int y, int x, int width, bool selected, enum role_id role, const char *text);
enum role_id severity_role_of(enum severity s);
/* What paths of the machine are shown below: "" on /, else the --root tree (a demo's copy). */
const char *shown_root(const struct wizard *w);
/* The command line that makes the same plan as the choices so far. */
char *selection_command(const struct wizard *w);
/*
 * Moving through what a step lists or scrolls, the same on every step: Up/Down one, PgUp/PgDn
 * a page (the rows shown), never past 0 or last.  *pos is a cursor (last: the last item) or a
 * scroll offset (last: the rows that do not fit).  false for a key that is no movement.
 */
bool list_move(int *pos, int last, int page, int key);
/* The same for a scroll counted up from the end (a log whose newest rows show). */
bool list_move_from_end(int *pos, int last, int page, int key);
