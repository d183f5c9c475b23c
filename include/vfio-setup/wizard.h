/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/apply.h"
#include "vfio-setup/canvas.h"
#include "vfio-setup/machine.h"
#include "vfio-setup/selection.h"
#include "vfio-setup/sysroot.h"

/*
 * The guided setup: one screen per step, driven by keys, drawn into a canvas.
 * It holds no terminal: tui.c feeds it keys and shows the canvas, tests do
 * the same with scripted keys and compare the canvas with golden text.
 */
enum wizard_key {
        WK_UP = 0x1000, WK_DOWN, WK_LEFT, WK_RIGHT, WK_ENTER, WK_TAB, WK_BACKSPACE, WK_ESC, WK_PGUP, WK_PGDN, WK_HOME,
        WK_END,
};

struct wizard_options {
        bool can_apply;                 /* root on /, or a root of one's own */
        const char *why_not;            /* shown when it cannot */
        bool demo;                      /* a sample machine: nothing real is touched */
        const char *demo_root;          /* where the demo's copy is kept after the wizard, or NULL */
        /* How the commands the wizard names are typed here: "sudo vfio-setup" (the default), or with --root. */
        const char *invocation;
        struct apply_options apply;
        /* The Looking Glass goal's settings, from the command line (copied). */
        struct looking_glass lg;
        struct vm_tuning vm;
        /* Looking Glass's user when neither the command line nor the recorded setup names one. */
        const char *default_user;
        /* Tests: where the sysfs writes of reading a ROM go instead (VFIO_SETUP_SYSFS_LOG), or NULL. */
        const char *sysfs_log;
        /* Called while apply runs, so the screen follows its progress. */
        void (*redraw)(void *userdata);
        void *userdata;
};

struct wizard;

/* Takes the machine. */
int wizard_new(const struct sysroot *sr, struct machine *m, const struct wizard_options *o, struct wizard **ret);
void wizard_free(struct wizard *w);
void wizard_draw(struct wizard *w, struct canvas *c);
void wizard_key(struct wizard *w, int key);
bool wizard_finished(const struct wizard *w);
/*
 * Whether a step began (or a long one, apply, ended) since the last call:
 * keys typed ahead before it was shown are not meant for it.
 */
bool wizard_step_began(struct wizard *w);
/* Whether the last apply or undo failed (the wizard's exit status says so). */
bool wizard_failed(const struct wizard *w);
/* What the wizard leaves on the terminal when it ends (the next steps, the files it saved), or NULL. */
const char *wizard_farewell(const struct wizard *w);
/* The plan the review step shows (as `vfio-setup plan` prints it), or NULL elsewhere. */
const char *wizard_plan_text(const struct wizard *w);

/* The smallest terminal the screens fit. */
#define WIZARD_MIN_W 64
#define WIZARD_MIN_H 18
