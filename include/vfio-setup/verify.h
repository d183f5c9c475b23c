/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/machine.h"
#include "vfio-setup/remedy.h"
#include "vfio-setup/sysroot.h"

/*
 * After the reboot: is the machine ready to hand its devices to a guest?  The
 * devices are the ones vfio-setup set up (its state), or a GPU named by the
 * user with its companions.
 */
struct verify_check {
        char *text;             /* what was checked and what was found */
        char *fix;              /* what to do when it failed, or NULL */
        bool ok;
};

struct verify_result {
        /*
         * NO when the running kernel booted before vfio-setup last wrote its
         * state (proc/stat's btime against the state file's time): the other
         * checks then describe the old boot.  UNKNOWN without those times.
         */
        enum tristate rebooted;
        struct strv devices;
        struct verify_check *checks;
        size_t n;
        struct strv notes;      /* what the checks do not decide, but the user must know (an ACS override) */
        bool ready;
        /*
         * A trial is pending: not rebooted since it was made, this boot is the trial's (the checks
         * describe it), or the default entry started this boot (the trial failed, was powered off,
         * or came before).  Only on the trial's boot are the other checks made.
         */
        enum verify_trial { VERIFY_NO_TRIAL, VERIFY_TRIAL_WAITING, VERIFY_TRIAL_BOOT, VERIFY_TRIAL_NOT_UP } trial;
};

/* The words of a result's texts that name a way out (remedy marks), in a front end's words. */
int verify_result_word(struct verify_result *v, const char *const words[_REMEDY_MAX]);

/* -VS_E_SELECTION with *ret_reason when there is nothing to verify or the GPU is unknown. */
int verify_machine(const struct sysroot *sr, const struct machine *m, const char *gpu, struct verify_result *ret,
                   char **ret_reason);
void verify_result_free(struct verify_result *v);
