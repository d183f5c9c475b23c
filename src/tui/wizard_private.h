/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The wizard's state and the interface every step implements. */

#include "vfio-setup/findings.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/selection.h"
#include "vfio-setup/wizard.h"

enum step_id {
        STEP_SUMMARY, STEP_HARDWARE, STEP_BIOS, STEP_GPU, STEP_BOOT, STEP_GOAL, STEP_REVIEW, STEP_APPLY, STEP_DONE,
        _STEP_MAX
};

enum step_result { STEP_STAY, STEP_NEXT, STEP_BACK, STEP_QUIT, STEP_GOTO };

struct wizard;

struct step_ops {
        const char *title;
        const char *help;
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
        char *error;                    /* a step could not be shown */
        bool applied;                   /* apply succeeded */
        const char *plan_text;          /* the review's plan, while it is shown */
        char *libvirt_xml;              /* the reviewed plan's elements for the guest's domain */
        struct strv users;              /* who logs in here: the Looking Glass user to choose from */
};

/* The findings of one section as status lines; returns the row after them. */
int draw_findings(const struct wizard *w, struct canvas *c, int y, int bottom, enum section s);
/* One line of a list; selected lines stand out. */
void draw_item(struct canvas *c, int y, int x, int width, bool selected, enum role_id role, const char *text);
enum role_id severity_role_of(enum severity s);
