/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vfio-setup/machine.h"
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
};

/* -VS_E_SELECTION with *ret_reason when there is nothing to verify or the GPU is unknown. */
int verify_machine(const struct sysroot *sr, const struct machine *m, const char *gpu, struct verify_result *ret,
                   char **ret_reason);
void verify_result_free(struct verify_result *v);
